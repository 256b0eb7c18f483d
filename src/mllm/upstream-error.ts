import { CtgiError } from '../errors/ctgi-error.js';

// The one sentence a user sees when an MLLM request fails: where, what happened, what to check. Server text
// repeated in it is cut to a line and has the API key removed (some servers echo it back in auth errors).

/** Who was called, for the message. */
export interface UpstreamContext {
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  /** HTTP requests made; mentioned when more than one. */
  attempts: number;
}

/** Turns an error from the OpenAI client into CtgiError UPSTREAM_FAILED, keeping it as `cause`. */
export function upstreamError(err: unknown, ctx: UpstreamContext): CtgiError {
  const e = err as { status?: unknown; error?: { message?: unknown }; message?: unknown; name?: unknown; constructor?: { name?: string } } | null;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const where = `The MLLM server at ${ctx.baseUrl}`;
  const tries = ctx.attempts > 1 ? ` (${ctx.attempts} attempts)` : '';
  const kind = `${String(e?.name ?? '')} ${e?.constructor?.name ?? ''}`;
  if (/LengthFinishReason/.test(kind)) {
    return new CtgiError('UPSTREAM_FAILED', `${where} stopped its answer at the token limit; the answer was cut off, so ask for a shorter one.`, { cause: err });
  }
  if (/ContentFilterFinishReason/.test(kind)) {
    return new CtgiError('UPSTREAM_FAILED', `${where} refused to answer (its content filter stopped it).`, { cause: err });
  }
  if (status === undefined) {
    const timedOut = /timeout|timed out/i.test(`${kind} ${String(e?.message ?? '')}`);
    const why = timedOut ? 'did not answer in time' : `could not be reached (${connectionReason(err)})`;
    return new CtgiError('UPSTREAM_FAILED', `${where} ${why}${tries}; check that it is running and that the base URL is right.`, { cause: err });
  }
  const raw = typeof e?.error?.message === 'string' ? e.error.message : String(e?.message ?? '');
  const detail = redact(raw, ctx.apiKey).split('\n')[0].slice(0, 200).trim();
  const hint =
    status === 401 || status === 403
      ? 'check the API key'
      : status === 404
        ? `check the base URL (it usually ends in /v1) and that the server serves model "${ctx.model}"`
        : status === 429
          ? 'the server is rate-limiting; lower CTGI_MLLM_CONCURRENCY or try again later'
          : 'check the server log';
  return new CtgiError('UPSTREAM_FAILED', `${where} answered HTTP ${status}${detail ? ` (${detail})` : ''}${tries}; ${hint}.`, { cause: err });
}

/** Removes the API key from text we repeat. */
export function redact(text: string, apiKey: string | undefined): string {
  return apiKey ? text.split(apiKey).join('***') : text;
}

/** A short reason for a failed connection, from the error's cause chain (ECONNREFUSED, ENOTFOUND, …). */
function connectionReason(err: unknown): string {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.code === 'ECONNREFUSED') return 'connection refused';
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
    if (e.code === 'ECONNRESET' || e.code === 'UND_ERR_SOCKET') return 'connection reset';
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  }
  return 'connection error';
}
