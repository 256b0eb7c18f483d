import { Command, InvalidArgumentError } from 'commander';
import { OnnxClipImageEncoder } from '../../../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../../../src/models/clip-text-encoder.js';
import type { CliContext } from '../cli-context.js';
import { readStringArray, writeJson } from '../io.js';
import { positiveInt } from '../options.js';


/** `ctgi embed text|image`: L2-normalised embeddings as JSON on stdout. */
export function registerEmbed(program: Command, ctx: CliContext): void {
  const embed = program.command('embed').description('Embed texts or images with a CLIP model (L2-normalised vectors as JSON).');

  embed
    .command('text')
    .description('Read a JSON array of strings on stdin; print a JSON array of vectors.')
    .requiredOption('--model <dir>', 'model directory (Hugging Face or immich ONNX export)')
    .option('--context-length <n>', 'tokens per text (default: the model’s)', positiveInt('--context-length'))
    .action(async (opts: { model: string; contextLength?: number }) => {
      const texts = await readStringArray(ctx.stdin);
      const encoder = await OnnxClipTextEncoder.open(opts.model, { contextLength: opts.contextLength });
      try {
        writeJson(ctx.stdout, await encoder.embedTexts(texts));
      } finally {
        await encoder.close();
      }
    });

  embed
    .command('image')
    .description('Print a JSON array of vectors for the image files, in argument order.')
    .requiredOption('--model <dir>', 'model directory (Hugging Face or immich ONNX export)')
    .argument('<files...>', 'image files (JPEG, PNG, WebP)')
    .action(async (files: string[], opts: { model: string }) => {
      const config = ctx.config();
      const encoder = await OnnxClipImageEncoder.open(opts.model, { limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes } });
      try {
        writeJson(ctx.stdout, await encoder.embedImageFiles(files));
      } finally {
        await encoder.close();
      }
    });
}
