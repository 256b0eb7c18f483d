import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CliContext } from '../../app/cli/cli-context.js';
import { main } from '../../app/cli/main.js';
import { loadConfig } from '../../src/config/config.js';

/** Runs the CLI in-process with `stdin` text; returns exit code and captured output. */
export async function runCli(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = captured();
  const err = captured();
  const code = await main(argv, { stdin: Readable.from([Buffer.from(stdin)]), stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A writable stream that keeps what is written to it. */
function captured(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

const BIN = resolve(__dirname, '../../bin/ctgi.js');

/**
 * Runs `node bin/ctgi.js ARGS` as a real process with only PATH and `env` in its environment
 * (configuration such as CTGI_HOME or HF_ENDPOINT comes from there).
 */
export function spawnCtgi(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: resolve(__dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A CLI context over `env` (configuration parsed from it) with captured stdout and stderr, for calling a command's run function directly. */
export function cliContext(env: Record<string, string>): { ctx: CliContext; out: () => string; err: () => string } {
  const out = captured();
  const err = captured();
  const config = loadConfig(env);
  return { ctx: { config: () => config, stdin: new PassThrough(), stdout: out.stream, stderr: err.stream }, out: out.text, err: err.text };
}
