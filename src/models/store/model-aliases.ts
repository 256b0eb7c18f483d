import { CtgiError } from '../../errors/ctgi-error.js';

/** Short names for the CLIP repositories users pull most often. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'clip-vit-b16': 'Xenova/clip-vit-base-patch16',
  'clip-vit-b32': 'Xenova/clip-vit-base-patch32',
  'clip-vit-l14': 'Xenova/clip-vit-large-patch14',
  'immich-clip-vit-b16': 'immich-app/ViT-B-16__openai',
  'immich-clip-vit-b32': 'immich-app/ViT-B-32__openai',
  'immich-clip-vit-l14': 'immich-app/ViT-L-14__openai',
});

/**
 * Person detectors in the Ultralytics ONNX export layout (`[1, 4 + classes, N]`, class names and input size in
 * the graph's metadata), by alias: the repository and the one file of it to pull. `yolov8n` is the COCO-trained
 * YOLOv8n (class 0 is "person") as exported by Ultralytics, 12.8 MB.
 */
export const DETECTOR_ALIASES: Readonly<Record<string, { repo: string; file: string }>> = Object.freeze({
  yolov8n: { repo: 'cabelo/yolov8', file: 'yolov8n.onnx' },
});

/** A hub repository named by the user, with the alias it came from (if any). */
export interface ModelRef {
  /** `owner/name` on the hub. */
  repo: string;
  owner: string;
  name: string;
  alias: string | undefined;
  /** The one file to pull (detector aliases); absent for CLIP models, whose files the layout decides. */
  file?: string;
}

// The hub's own rule for owner and repository names: letters, digits, '-', '_', '.', at most 96 characters.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** One sentence listing every alias, for error messages and help text. */
export function describeAliases(): string {
  return [...Object.entries(MODEL_ALIASES).map(([alias, repo]) => `${alias} (${repo})`), ...Object.entries(DETECTOR_ALIASES).map(([alias, d]) => `${alias} (person detector, ${d.repo}/${d.file})`)].join(', ');
}

function badRef(input: string, why: string): CtgiError {
  return new CtgiError(
    'BAD_INPUT',
    `${JSON.stringify(input)} ${why}: give a hub repository as owner/name (e.g. Xenova/clip-vit-base-patch16) ` +
      `or one of the aliases ${describeAliases()}.`,
  );
}

/**
 * Turns an alias or an `owner/name` repository id into a validated ModelRef.
 * @throws CtgiError BAD_INPUT for unknown names and ids that are not safe `owner/name` pairs.
 */
export function resolveModelRef(input: string): ModelRef {
  const trimmed = input.trim();
  const detector = Object.hasOwn(DETECTOR_ALIASES, trimmed) ? DETECTOR_ALIASES[trimmed] : undefined;
  const aliased = detector?.repo ?? (Object.hasOwn(MODEL_ALIASES, trimmed) ? MODEL_ALIASES[trimmed] : undefined);
  const repo = aliased ?? trimmed;
  if (!repo.includes('/')) throw badRef(input, 'is not a known model alias');
  const parts = repo.split('/');
  if (parts.length !== 2) throw badRef(input, 'is not a valid repository id (exactly one "/" is allowed)');
  const [owner, name] = parts as [string, string];
  for (const part of parts) {
    // The segment pattern already rejects leading dots; '..' inside a name is refused too because it
    // reads like path traversal and the hub does not allow it either.
    if (!SEGMENT.test(part) || part.includes('..') || part.endsWith('.')) {
      throw badRef(input, 'is not a valid repository id (only letters, digits, "-", "_" and "." are allowed in owner and name)');
    }
  }
  return { repo, owner, name, alias: aliased === undefined ? undefined : trimmed, ...(detector ? { file: detector.file } : {}) };
}
