/** The closed set of failure kinds; callers branch on `code`, never on message text. */
export type CtgiErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'MODEL_INVALID'
  | 'MODEL_UNSUPPORTED'
  | 'IMAGE_INVALID'
  | 'IMAGE_TOO_LARGE'
  | 'INDEX_MISMATCH'
  | 'CONFIG_INVALID'
  | 'UPSTREAM_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'UNAUTHORIZED'
  | 'INTERNAL';

/**
 * An expected failure with a sentence a user can act on. Recognised by `name`/`code`, not `instanceof`,
 * so it survives module duplication and worker boundaries.
 */
export class CtgiError extends Error {
  override readonly name = 'CtgiError';
  readonly code: CtgiErrorCode;

  constructor(code: CtgiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is a CtgiError (optionally of one of `codes`). */
export function isCtgiError(err: unknown, ...codes: CtgiErrorCode[]): err is CtgiError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  if (e.name !== 'CtgiError' || typeof e.code !== 'string') return false;
  return codes.length === 0 || codes.includes(e.code as CtgiErrorCode);
}

/** The one sentence a user sees for any error: a CtgiError's message, or a generic line for bugs. */
export function userMessage(err: unknown): string {
  if (isCtgiError(err)) return err.message;
  return 'Internal error: something unexpected went wrong (run with CTGI_DEBUG=1 for details).';
}
