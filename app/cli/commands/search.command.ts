import type { Command } from 'commander';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import type { Gallery, GalleryHit } from '../../../src/gallery/gallery.js';
import { openGallery } from '../../../src/gallery/open-gallery.js';
import { searchText } from '../../../src/gallery/text-search.js';
import { assertSameModel } from '../../../src/gallery/gallery-manifest.js';
import { openTextEncoder } from '../../../src/models/open-encoders.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { positiveInt } from '../options.js';
import { DATABASE_FLAG, DATABASE_HELP, galleryRefOf, INDEX_HELP } from '../gallery-option.js';

interface SearchFlags {
  index: string;
  database?: string;
  model?: string;
  top: number;
  json?: boolean;
  exact?: boolean;
  camera?: string[];
  from?: string;
  to?: string;
}

function isoTime(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CtgiError('BAD_INPUT', `${flag} ${value} is not a date/time; use ISO-8601, e.g. 2026-11-27T08:00:00Z.`);
  return new Date(t).toISOString();
}

/** `ctgi search`: the best gallery images for a description. */
export function registerSearch(program: Command, ctx: CliContext): void {
  program
    .command('search')
    .description('Search a gallery index with a text description.')
    .requiredOption('--index <dir>', INDEX_HELP)
    .option(DATABASE_FLAG, DATABASE_HELP)
    .option('--model <dir>', 'CLIP model directory (default: the one the index was built with; a stretched copy of it works too)')
    .option('--top <n>', 'number of hits', positiveInt('--top'), 10)
    .option('--json', 'print a JSON array of {rank, id, path, score, cosine}')
    .option('--exact', 'brute-force search instead of HNSW (exact; used automatically for small galleries)')
    .option('--camera <ids>', 'only images from these cameras (comma-separated; repeatable)', (v: string, acc: string[]) => [...acc, ...v.split(',').map((c) => c.trim()).filter(Boolean)], [] as string[])
    .option('--from <time>', 'only images captured at or after this ISO-8601 time')
    .option('--to <time>', 'only images captured at or before this ISO-8601 time')
    .argument('<description...>', 'what the person looks like')
    .action(async (words: string[], flags: SearchFlags) => {
      const text = words.join(' ').trim();
      if (!text) throw new CtgiError('BAD_INPUT', 'The description is empty; say what the person looks like.');
      const filter = { camera: flags.camera?.length ? flags.camera : undefined, from: isoTime('--from', flags.from), to: isoTime('--to', flags.to) };
      const gallery = await openGallery(galleryRefOf(ctx, flags));
      try {
        const encoder = await openTextEncoder(flags.model ?? gallery.manifest.model.dir);
        let hits: GalleryHit[];
        try {
          assertSameModel(gallery.manifest, { id: encoder.modelId, dim: encoder.dim }, gallery.location);
          const tokens = encoder.countTokens(text);
          if (tokens > encoder.contextLength) {
            ctx.stderr.write(
              `Note: the description is ${tokens} tokens; ${encoder.modelId} reads the first ${encoder.contextLength}` +
                (encoder.contextLength < 248 ? ' (`ctgi model stretch` makes a 248-token copy).\n' : '.\n'),
            );
          }
          hits = await searchText(gallery, encoder, text, { top: flags.top, filter, ...(flags.exact ? { exact: true } : {}) });
        } finally {
          await encoder.close();
        }
        if (flags.json) {
          writeJson(
            ctx.stdout,
            hits.map((h) => ({ rank: h.rank, id: h.id, path: h.path, score: h.score, cosine: h.cosine })),
          );
          return;
        }
        if (hits.length === 0) {
          ctx.stdout.write('No images match (the index is empty or the filters exclude everything).\n');
          return;
        }
        const camWidth = Math.max(6, ...hits.map((h) => (h.record.camera ?? '-').length));
        const personWidth = Math.max(6, ...hits.map((h) => (h.record.personId ?? '-').length));
        const row = (cells: string[]) => cells.join('  ');
        const header = row(['rank', ' score', ' cosine', 'camera'.padEnd(camWidth), 'person'.padEnd(personWidth), 'path']);
        const rows = hits.map((h) =>
          row([
            String(h.rank).padStart(4),
            h.score.toFixed(3).padStart(6),
            h.cosine.toFixed(4).padStart(7),
            (h.record.camera ?? '-').padEnd(camWidth),
            (h.record.personId ?? '-').padEnd(personWidth),
            h.path,
          ]),
        );
        ctx.stdout.write([header, ...rows].join('\n') + '\n');
      } finally {
        await gallery.close({ save: false });
      }
    });
}
