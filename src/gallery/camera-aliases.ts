import { CtgiError } from '../errors/ctgi-error.js';
import type { Gallery } from './gallery.js';
import type { CameraNames } from './place-time-filter.js';

// Other names of a gallery's cameras ("cam3" is "the lobby"), kept in its manifest so a witness's "near the
// lobby" becomes a camera filter. Setting them is a flow the CLI calls: parse, check against the gallery, store.

/** One camera of the gallery: its image count and aliases. */
export interface CameraListing {
  camera: string;
  count: number;
  aliases: string[];
}

/** Parses `cam3=lobby,entrance` (an empty list, `cam3=`, removes the aliases). @throws CtgiError BAD_INPUT with the expected form. */
export function parseAliasSpec(spec: string): { camera: string; aliases: string[] } {
  const eq = spec.indexOf('=');
  const camera = eq > 0 ? spec.slice(0, eq).trim() : '';
  if (!camera) throw new CtgiError('BAD_INPUT', `"${spec}" is not an alias setting; write CAMERA=ALIAS[,ALIAS…], e.g. cam3=lobby,entrance (or cam3= to remove them).`);
  const aliases = [...new Set(spec.slice(eq + 1).split(',').map((a) => a.trim().replace(/\s+/g, ' ')).filter(Boolean))];
  for (const a of aliases) {
    if (a.length > 60 || !/\p{L}/u.test(a)) throw new CtgiError('BAD_INPUT', `The alias "${a.slice(0, 60)}" must contain a letter and be at most 60 characters.`);
  }
  return { camera, aliases };
}

/**
 * Applies alias settings to the gallery: each names a camera the gallery has; an alias may not be another
 * camera's name or alias. Returns the cameras with counts and aliases afterwards.
 * @throws CtgiError BAD_INPUT naming the unknown camera or the clash.
 */
export async function setCameraAliases(gallery: Gallery, settings: ReadonlyArray<{ camera: string; aliases: string[] }>): Promise<CameraListing[]> {
  const cameras = await gallery.cameras();
  const known = new Set(cameras.map((c) => c.camera));
  const next: Record<string, string[]> = { ...(gallery.manifest.cameraAliases ?? {}) };
  for (const s of settings) {
    if (!known.has(s.camera)) {
      throw new CtgiError('BAD_INPUT', `The gallery has no camera "${s.camera}"; its cameras are ${cameras.map((c) => c.camera).join(', ') || 'none (index footage with --camera first)'}.`);
    }
    next[s.camera] = s.aliases;
  }
  const owner = new Map<string, string>();
  for (const c of known) owner.set(c.toLowerCase(), c);
  for (const [camera, aliases] of Object.entries(next)) {
    for (const a of aliases) {
      const prior = owner.get(a.toLowerCase());
      if (prior !== undefined && prior !== camera) throw new CtgiError('BAD_INPUT', `"${a}" already names camera ${prior}; an alias must name one camera only.`);
      owner.set(a.toLowerCase(), camera);
    }
  }
  if (settings.length > 0) await gallery.setCameraAliases(next);
  return listCameras(gallery);
}

/** The gallery's cameras with image counts and aliases, by name. */
export async function listCameras(gallery: Gallery): Promise<CameraListing[]> {
  const aliases = gallery.manifest.cameraAliases ?? {};
  return (await gallery.cameras()).map((c) => ({ camera: c.camera, count: c.count, aliases: aliases[c.camera] ?? [] })).sort((a, b) => a.camera.localeCompare(b.camera));
}

/** The gallery's camera names for the where/when parser. */
export async function cameraNames(gallery: Gallery): Promise<CameraNames[]> {
  return (await listCameras(gallery)).map((c) => ({ camera: c.camera, aliases: c.aliases }));
}
