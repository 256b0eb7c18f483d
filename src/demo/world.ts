import { CtgiError } from '../errors/ctgi-error.js';
import type { PersonAttributes } from './attributes.js';
import { CAMERA_IDS, sampleAppearance, sampleJitter, type Appearance, type Jitter } from './appearance.js';
import { sampleAttributes } from './attribute-sampling.js';
import { fullCaption, vagueQueries } from './captions.js';
import { deriveSeed, Rng } from './rng.js';

export { readWorld, writeWorld } from './world-files.js';

// The synthetic demo world: identities with attributes, 2–4 jittered camera views each, full captions and
// vague witness queries. Generation is pure: the same options give the same world, image bytes included.

export interface DemoWorldOptions {
  /** Number of people (default 500). */
  identities?: number;
  /** Seed of everything random in the world (default 1). */
  seed?: number;
  /** Images per person, inclusive range (default [2, 4]); each image is from a different camera. */
  imagesPerIdentity?: [number, number];
}

/** One rendered view of a person. */
export interface DemoImage {
  /** Path relative to the world's folder, e.g. `images/c3/0042_2.png`. */
  file: string;
  camera: string;
  jitter: Jitter;
}

/** One person of the world. */
export interface DemoIdentity {
  /** 1-based, as the dataset file's person id. */
  id: number;
  attributes: PersonAttributes;
  /** Traits no attribute names (skin tone, umbrella colour), the same in every image. */
  appearance: Appearance;
  images: DemoImage[];
  /** Full captions, two per image (image k has captions 2k and 2k+1). */
  captions: string[];
  /** First descriptions a witness might give: one or two attributes each. */
  vagueQueries: string[];
}

export interface DemoWorld {
  seed: number;
  identities: DemoIdentity[];
}

/** Vague queries per identity (two or three). */
const QUERIES_PER_IDENTITY: [number, number] = [2, 3];

function checkOptions(identities: number, seed: number, range: [number, number]): void {
  if (!Number.isInteger(identities) || identities < 1) {
    throw new CtgiError('BAD_INPUT', `The demo world needs a whole number of identities of at least 1, not ${identities}.`);
  }
  if (!Number.isSafeInteger(seed)) throw new CtgiError('BAD_INPUT', `The demo world's seed must be an integer, not ${seed}.`);
  const [min, max] = range;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > CAMERA_IDS.length) {
    throw new CtgiError('BAD_INPUT', `Images per identity must be whole numbers with 1 ≤ min ≤ max ≤ ${CAMERA_IDS.length} (one per camera), not [${min}, ${max}].`);
  }
}

/** Full captions that differ from each other (retrying a few times when templates collide). */
function distinctCaptions(attributes: PersonAttributes, rng: Rng, count: number): string[] {
  const out: string[] = [];
  for (let attempt = 0; out.length < count; attempt++) {
    const caption = fullCaption(attributes, rng);
    if (!out.includes(caption) || attempt > count * 10) out.push(caption);
  }
  return out;
}

function generateIdentity(seed: number, id: number, range: [number, number]): DemoIdentity {
  // Each identity has its own stream, so identity k is the same whatever the world's size.
  const rng = new Rng(deriveSeed(seed, id));
  const attributes = sampleAttributes(rng);
  const appearance = sampleAppearance(rng);
  const cameras = rng.shuffle(CAMERA_IDS).slice(0, rng.int(range[0], range[1]));
  const images = cameras.map((camera, k) => ({
    file: `images/${camera}/${String(id).padStart(4, '0')}_${k + 1}.png`,
    camera,
    jitter: sampleJitter(rng, camera),
  }));
  const captions = distinctCaptions(attributes, rng, images.length * 2);
  const queries = vagueQueries(attributes, rng, rng.int(QUERIES_PER_IDENTITY[0], QUERIES_PER_IDENTITY[1]));
  return { id, attributes, appearance, images, captions, vagueQueries: queries.map((q) => q.text) };
}

/**
 * Generates the world (no files): deterministic per seed, and a different seed changes everything.
 * @throws CtgiError BAD_INPUT for a non-positive identity count, a non-integer seed or a bad image range.
 */
export function generateWorld(options: DemoWorldOptions = {}): DemoWorld {
  const identities = options.identities ?? 500;
  const seed = options.seed ?? 1;
  const range = options.imagesPerIdentity ?? [2, 4];
  checkOptions(identities, seed, range);
  return { seed, identities: Array.from({ length: identities }, (_, i) => generateIdentity(seed, i + 1, range)) };
}
