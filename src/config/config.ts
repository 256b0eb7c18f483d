import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CtgiError } from '../errors/ctgi-error.js';

const envSchema = z.object({
  CTGI_HOME: z.string().min(1).optional(),
  HF_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://huggingface.co' }).optional(),
  HF_TOKEN: z.string().min(1).optional(),
  CTGI_DEBUG: z.enum(['0', '1', 'true', 'false']).optional(),
  CTGI_MAX_IMAGE_PIXELS: z.coerce.number().int().positive().optional(),
  CTGI_MAX_IMAGE_BYTES: z.coerce.number().int().positive().optional(),
});

/** Parsed, validated configuration. Nothing else in the project reads `process.env`. */
export interface Config {
  /** Root for downloaded models and caches (`$CTGI_HOME`, default `~/.cache/ctgi`). */
  home: string;
  /** Where `model pull` stores models: `<home>/models`. */
  modelsDir: string;
  /** Hugging Face hub base URL (`HF_ENDPOINT`). */
  hfEndpoint: string;
  /** Bearer token for gated/private hub repos (`HF_TOKEN`); never logged. */
  hfToken: string | undefined;
  debug: boolean;
  /** Images with more pixels than this are refused (decompression-bomb guard). */
  maxImagePixels: number;
  /** Image files larger than this many bytes are refused. */
  maxImageBytes: number;
}

export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/**
 * Parses configuration from an environment map once, at start-up.
 * @throws CtgiError CONFIG_INVALID naming every bad key and how to fix it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new CtgiError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  const home = resolve(e.CTGI_HOME ?? join(homedir(), '.cache', 'ctgi'));
  return {
    home,
    modelsDir: join(home, 'models'),
    hfEndpoint: (e.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    hfToken: e.HF_TOKEN,
    debug: e.CTGI_DEBUG === '1' || e.CTGI_DEBUG === 'true',
    maxImagePixels: e.CTGI_MAX_IMAGE_PIXELS ?? DEFAULT_MAX_IMAGE_PIXELS,
    maxImageBytes: e.CTGI_MAX_IMAGE_BYTES ?? DEFAULT_MAX_IMAGE_BYTES,
  };
}
