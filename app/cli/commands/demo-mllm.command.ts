import { InvalidArgumentError, type Command } from 'commander';
import { CAPTION_STYLES, isCaptionStyle, type CaptionStyle } from '../../../src/attributes/phrasing.js';
import { startDemoMllmServer } from '../../../src/demo/demo-mllm-server.js';
import type { CliContext } from '../cli-context.js';

interface DemoMllmFlags {
  port: number;
  host: string;
  errorRate: number;
  latencyMs: number;
  seed: number;
  captionStyle: CaptionStyle;
}

/** The port `ctgi demo mllm` listens on unless told otherwise. */
export const DEFAULT_DEMO_MLLM_PORT = 8765;

/** `ctgi demo mllm`: the local OpenAI-compatible MLLM for the synthetic demo world, until Ctrl-C. */
export function registerDemoMllm(demo: Command, ctx: CliContext): void {
  demo
    .command('mllm')
    .summary('Serve the demo MLLM (OpenAI-compatible, synthetic demo images only) until stopped.')
    .description(
      'Serve an OpenAI-compatible /v1/chat/completions endpoint that answers about synthetic demo-world images sent as base64 data URLs: ' +
        'yes/no matches, attribute questions, follow-up questions and merged descriptions, read from the image pixels. ' +
        'It is a stand-in for a real MLLM (vLLM, Ollama, OpenAI) and knows nothing about real photos. Stop it with Ctrl-C.',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', portNumber, DEFAULT_DEMO_MLLM_PORT)
    .option('--host <address>', 'interface to bind (keep 127.0.0.1 unless other machines must reach it)', '127.0.0.1')
    .option('--error-rate <p>', 'share of answers that are deliberately wrong, 0–1', probability, 0)
    .option('--latency-ms <t>', 'delay before each answer, in milliseconds', nonNegative('--latency-ms'), 0)
    .option('--seed <n>', 'seed for which answers are wrong', integer, 1)
    .option('--caption-style <style>', 'initial captions: full (every attribute) or concise (person, hair, clothes and shoes, as real captioners answer)', captionStyle, 'full')
    .action((flags: DemoMllmFlags) => serve(ctx, flags));
}

async function serve(ctx: CliContext, flags: DemoMllmFlags): Promise<void> {
  const server = await startDemoMllmServer({
    port: flags.port,
    host: flags.host,
    errorRate: flags.errorRate,
    latencyMs: flags.latencyMs,
    seed: flags.seed,
    captionStyle: flags.captionStyle,
    limits: { maxPixels: ctx.config().maxImagePixels, maxBytes: ctx.config().maxImageBytes },
  });
  ctx.stdout.write(`Demo MLLM (synthetic demo world only) listening on ${server.url}\n`);
  ctx.stdout.write(`Use it as the MLLM base URL (any model name and API key); error rate ${flags.errorRate}, latency ${flags.latencyMs} ms, seed ${flags.seed}, ${flags.captionStyle} captions. Ctrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  ctx.stderr.write('Demo MLLM stopped.\n');
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('--port must be an integer from 0 to 65535.');
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('--error-rate must be a number from 0 to 1, e.g. 0.1.');
  return n;
}

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of milliseconds, 0 or more.`);
    return n;
  };
}

function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('--seed must be an integer.');
  return n;
}

function captionStyle(value: string): CaptionStyle {
  if (!isCaptionStyle(value)) throw new InvalidArgumentError(`--caption-style must be one of ${CAPTION_STYLES.join(', ')}, not "${value}".`);
  return value;
}
