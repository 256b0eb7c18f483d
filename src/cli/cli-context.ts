import type { Config } from '../config/config.js';

/** What every command gets from the composition root: configuration and its standard streams. */
export interface CliContext {
  /** Parsed lazily so `ctgi --help` works even with a broken environment. */
  config(): Config;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}
