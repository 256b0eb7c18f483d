import type { Command } from 'commander';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import { DEFAULT_CONTEXT_LENGTH, readModelContextLength } from '../../../src/text/context-length.js';
import { loadTokenizer, findTokenizerFiles, loadTokenizerFromPath } from '../../../src/text/vocab-loader.js';
import type { CliContext } from '../cli-context.js';
import { readStringArray, writeJson } from '../io.js';

interface TokenizeOptions {
  contextLength?: string;
  model?: string;
  vocab?: string;
}

function parseContextLength(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 2) {
    throw new CtgiError('BAD_INPUT', `--context-length must be an integer of at least 2 (got "${value}").`);
  }
  return Number(value);
}

/** `ctgi tokenize`: a JSON array of strings on stdin → one JSON array of CLIP id arrays on stdout. */
export function registerTokenize(program: Command, ctx: CliContext): void {
  program
    .command('tokenize')
    .description('Tokenize a JSON array of strings from stdin with CLIP BPE; prints one JSON array of id arrays (SOT … EOT, truncated, not padded).')
    .option('--context-length <n>', "maximum ids per text, SOT and EOT included (default: the model's, else 77)")
    .option('--model <dir>', 'model directory holding vocab.json + merges.txt, tokenizer.json or bpe_simple_vocab_16e6.txt.gz')
    .option('--vocab <file>', 'a tokenizer file: bpe_simple_vocab_16e6.txt.gz, tokenizer.json, or vocab.json with merges.txt beside it')
    .action(async (opts: TokenizeOptions) => {
      if (Boolean(opts.model) === Boolean(opts.vocab)) {
        throw new CtgiError('BAD_INPUT', 'Give exactly one of --model DIR or --vocab FILE to choose the tokenizer.');
      }
      const given = opts.contextLength === undefined ? undefined : parseContextLength(opts.contextLength);
      const tokenizer = opts.model ? await loadTokenizer(await findTokenizerFiles(opts.model)) : await loadTokenizerFromPath(opts.vocab as string);
      const length = given ?? (opts.model ? await readModelContextLength(opts.model) : DEFAULT_CONTEXT_LENGTH);
      const texts = await readStringArray(ctx.stdin);
      writeJson(ctx.stdout, texts.map((t) => tokenizer.encode(t, length)));
    });
}
