import { z } from 'zod';
import { CtgiError } from '../../errors/ctgi-error.js';
import { TransientError } from './transient-error.js';

/** One file of a hub repository, as the tree API lists it. */
export interface HubFile {
  /** Path relative to the repository root, `/`-separated. */
  path: string;
  /** Size of the real content (the LFS object's size for LFS files). */
  size: number;
  /** sha256 (hex) of the content, known for LFS files only. */
  sha256: string | undefined;
}

/** The start of a file download: the status decides whether the body appends to a partial file. */
export interface HubDownload {
  /** 200 = whole file, 206 = from `rangeStart`, 416 = the requested offset is at or past the end. */
  status: 200 | 206 | 416;
  /** First byte of the body for a 206 (from Content-Range). */
  rangeStart: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

/** The hub operations a pull needs; swap it for a fake or another hub. */
export interface HubClient {
  /** Base URL, for messages. */
  readonly endpoint: string;
  /**
   * Every file of `repo` at `revision`, following pagination.
   * @throws CtgiError NOT_FOUND / UNAUTHORIZED / DOWNLOAD_FAILED; TransientError for retryable failures.
   */
  listFiles(repo: string, revision: string): Promise<HubFile[]>;
  /** The commit sha `revision` points at, or undefined when the hub does not say. */
  commitOf(repo: string, revision: string): Promise<string | undefined>;
  /**
   * Starts downloading `path`, from byte `offset` when > 0 (a Range request). Redirects are followed.
   * @throws CtgiError NOT_FOUND / UNAUTHORIZED / DOWNLOAD_FAILED; TransientError for retryable failures.
   */
  download(repo: string, revision: string, path: string, offset: number, signal?: AbortSignal): Promise<HubDownload>;
}

const entrySchema = z.object({
  type: z.string(),
  path: z.string().min(1),
  size: z.number().int().nonnegative().optional(),
  lfs: z.object({ oid: z.string().regex(/^[0-9a-f]{64}$/i), size: z.number().int().nonnegative() }).optional(),
});
const listingSchema = z.array(entrySchema);
const revisionSchema = z.object({ sha: z.string().min(1).optional() });

/** Guards against a server that keeps handing out `next` links. */
const MAX_PAGES = 10_000;

/** Reads `Link: <url>; rel="next"` and returns the url, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

/** Encodes a repository path segment by segment, keeping the `/` separators. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** HubClient over HTTP with Node's global `fetch`, against the Hugging Face hub API. */
export class FetchHubClient implements HubClient {
  readonly endpoint: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: { endpoint: string; token?: string | undefined; fetch?: typeof fetch }) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/i.test(this.endpoint)) {
      throw new CtgiError('CONFIG_INVALID', `HF_ENDPOINT ${JSON.stringify(this.endpoint)} is not an http(s) URL; set it to e.g. https://huggingface.co.`);
    }
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async listFiles(repo: string, revision: string): Promise<HubFile[]> {
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
    const files: HubFile[] = [];
    const seen = new Set<string>();
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(url)) {
        throw new CtgiError('DOWNLOAD_FAILED', `The hub at ${this.endpoint} returned an endless file listing for ${repo}; try again later.`);
      }
      seen.add(url);
      const res = await this.#request(url, {}, `list the files of ${repo} (revision ${revision})`, { repo, revision });
      const body = await readJson(res, `the file listing of ${repo}`, this.endpoint);
      const parsed = listingSchema.safeParse(body);
      if (!parsed.success) {
        throw new CtgiError('DOWNLOAD_FAILED', `The hub at ${this.endpoint} returned an unexpected file listing for ${repo} (revision ${revision}); check HF_ENDPOINT.`);
      }
      for (const e of parsed.data) {
        if (e.type !== 'file') continue;
        files.push({ path: e.path, size: e.lfs?.size ?? e.size ?? 0, sha256: e.lfs?.oid.toLowerCase() });
      }
      const next = nextLink(res.headers.get('link'));
      url = next === undefined ? undefined : new URL(next, url).href;
    }
    return files;
  }

  async commitOf(repo: string, revision: string): Promise<string | undefined> {
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    let res: Response;
    try {
      res = await this.#fetch(url, { headers: this.#headers(url) });
    } catch {
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    const parsed = revisionSchema.safeParse(await res.json().catch(() => undefined));
    return parsed.success ? parsed.data.sha : undefined;
  }

  async download(repo: string, revision: string, path: string, offset: number, signal?: AbortSignal): Promise<HubDownload> {
    const url = `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
    const extra: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await this.#request(url, { headers: extra, signal }, `download ${path} of ${repo}`, { repo, revision, path }, offset > 0);
    if (res.status === 416) {
      await res.body?.cancel().catch(() => {});
      return { status: 416, rangeStart: undefined, body: emptyBody() };
    }
    if (!res.body) throw new TransientError(`The hub at ${this.endpoint} sent no content for ${path} of ${repo}`);
    if (res.status === 206) {
      const m = /^bytes\s+(\d+)-/i.exec(res.headers.get('content-range') ?? '');
      return { status: 206, rangeStart: m ? Number(m[1]) : undefined, body: res.body };
    }
    return { status: 200, rangeStart: undefined, body: res.body };
  }

  #headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    // The token goes to the configured hub only, never to another host a `next` link points at.
    if (this.#token !== undefined && new URL(url).origin === new URL(this.endpoint).origin) {
      headers.authorization = `Bearer ${this.#token}`;
    }
    return headers;
  }

  /** Fetches `url` and maps failures to CtgiErrors / TransientErrors whose messages never include the token. */
  async #request(
    url: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal | undefined },
    what: string,
    target: { repo: string; revision: string; path?: string },
    allow416 = false,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(url, { headers: this.#headers(url, init.headers), signal: init.signal ?? null, redirect: 'follow' });
    } catch (err) {
      throw new TransientError(`Could not reach ${this.endpoint} to ${what}: ${networkReason(err)}`, { cause: err });
    }
    if (res.ok || (allow416 && res.status === 416)) return res;
    await res.body?.cancel().catch(() => {});
    const where = target.path === undefined ? '' : ` (file ${target.path})`;
    if (res.status === 404) {
      throw new CtgiError(
        'NOT_FOUND',
        `Model repository ${target.repo} (revision ${target.revision})${where} was not found on ${this.endpoint}; ` +
          `check the name and revision, or set HF_TOKEN if it is private.`,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new CtgiError(
        'UNAUTHORIZED',
        `${this.endpoint} refused access to ${target.repo} (HTTP ${res.status}); ` +
          `${this.#token === undefined ? 'set HF_TOKEN to a token that can read it' : 'the HF_TOKEN you set cannot read it (check the token and that you accepted the model licence)'}.`,
      );
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new TransientError(`${this.endpoint} answered HTTP ${res.status} when asked to ${what}`);
    }
    throw new CtgiError('DOWNLOAD_FAILED', `${this.endpoint} answered HTTP ${res.status} when asked to ${what}; check HF_ENDPOINT and the repository name.`);
  }
}

async function readJson(res: Response, what: string, endpoint: string): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw new TransientError(`The hub at ${endpoint} sent ${what} that is not valid JSON`, { cause: err });
  }
}

/** A short, token-free reason for a network failure (`fetch failed` hides the useful part in `cause`). */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
