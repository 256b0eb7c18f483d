import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';

/** CLIP's context length, used when a model does not say otherwise. */
export const DEFAULT_CONTEXT_LENGTH = 77;

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 2 ? v : undefined;
}

/**
 * The text context length a model directory declares in its `config.json`: Hugging Face
 * `text_config.max_position_embeddings` or immich/open_clip `text_cfg.context_length`; 77 when the
 * file or the key is absent.
 * @throws CtgiError MODEL_INVALID when config.json exists but is not valid JSON.
 */
export async function readModelContextLength(modelDir: string): Promise<number> {
  const file = join(modelDir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return DEFAULT_CONTEXT_LENGTH;
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (err) {
    throw new CtgiError('MODEL_INVALID', `Model config ${file} is not valid JSON.`, { cause: err });
  }
  return contextLengthFromConfig(cfg) ?? DEFAULT_CONTEXT_LENGTH;
}

/**
 * The context length a parsed `config.json` declares: Hugging Face `text_config.max_position_embeddings`
 * or immich/open_clip `text_cfg.context_length`; undefined when it declares none.
 */
export function contextLengthFromConfig(cfg: unknown): number | undefined {
  const c = (cfg ?? {}) as { text_config?: { max_position_embeddings?: unknown }; text_cfg?: { context_length?: unknown } };
  return positiveInt(c.text_config?.max_position_embeddings) ?? positiveInt(c.text_cfg?.context_length);
}
