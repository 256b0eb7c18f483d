import type { Command } from 'commander';
import { parseAliasSpec, setCameraAliases } from '../../../src/gallery/camera-aliases.js';
import { openGallery } from '../../../src/gallery/open-gallery.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';

/** `ctgi index cameras --index DIR [--alias cam3=lobby,entrance …]`: lists cameras with counts, sets aliases. */
export function registerIndexCameras(index: Command, ctx: CliContext): void {
  index
    .command('cameras')
    .description('List the cameras of an index with their image counts and aliases; --alias sets the names a witness may use for a camera.')
    .requiredOption('--index <dir>', 'index directory')
    .option('--alias <camera=names>', 'CAMERA=ALIAS[,ALIAS…] (repeatable); CAMERA= removes its aliases', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .action(async (flags: { index: string; alias?: string[]; json?: boolean }) => {
      const settings = (flags.alias ?? []).map(parseAliasSpec);
      const gallery = await openGallery(flags.index);
      try {
        const cameras = await setCameraAliases(gallery, settings);
        if (flags.json) return writeJson(ctx.stdout, { cameras });
        if (cameras.length === 0) {
          ctx.stdout.write('No cameras recorded in this index (index footage with --camera, or images with --camera-pattern).\n');
          return;
        }
        const width = Math.max(...cameras.map((c) => c.camera.length));
        for (const c of cameras) {
          ctx.stdout.write(`${c.camera.padEnd(width)}  ${String(c.count).padStart(7)} image${c.count === 1 ? ' ' : 's'}${c.aliases.length ? `  aka ${c.aliases.join(', ')}` : ''}\n`);
        }
      } finally {
        await gallery.close({ save: false });
      }
    });
}
