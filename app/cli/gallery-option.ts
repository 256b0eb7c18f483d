import type { GalleryRef } from '../../src/gallery/open-gallery.js';
import { galleryRef } from '../../src/gallery/open-gallery.js';
import type { CliContext } from './cli-context.js';

// `--database URL` beside `--index`: with a database (the flag, or CTGI_DATABASE_URL), --index names a gallery
// in it; without one, --index is a folder. The URL holds credentials: it is never printed.

/** The `--database <url>` option of every command that opens a gallery, and its help. */
export const DATABASE_FLAG = '--database <url>';
export const DATABASE_HELP = 'PostgreSQL URL (default: CTGI_DATABASE_URL); --index then names a gallery in that database';
/** Help of `--index` on commands that take `--database`. */
export const INDEX_HELP = 'index directory, or with a database the gallery name';

/** The gallery `--index` names, in the database of `--database` / CTGI_DATABASE_URL when there is one. @throws CtgiError BAD_INPUT for a bad gallery name. */
export function galleryRefOf(ctx: CliContext, flags: { index: string; database?: string }, options: { halfvec?: boolean } = {}): GalleryRef {
  const configured = flags.database === undefined ? ctx.config().database : undefined;
  const database = flags.database !== undefined ? { ...ctx.config().database, url: flags.database } : configured;
  const ref = galleryRef(flags.index, database);
  return ref.kind === 'postgres' && options.halfvec ? { ...ref, vector: 'halfvec' } : ref;
}
