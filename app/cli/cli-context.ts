import type { Config } from '../../src/config/config.js';

/** What every command gets from the composition root: configuration and its standard streams. */
export interface CliContext {
  /** Parsed lazily so `ctgi --help` works even with a broken environment. */
  config(): Config;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Set by a command that finishes without an error but must not exit 0 (e.g. 130 after Ctrl-C). */
  exitCode?: number;
}
