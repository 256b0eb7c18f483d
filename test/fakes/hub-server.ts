import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, sep } from 'node:path';

/** One request the fake saw (for assertions on Range and Authorization headers). */
export interface HubRequest {
  method: string;
  /** The request target as sent (still percent-encoded). */
  rawUrl: string;
  /** Decoded path, e.g. `/Xenova/clip/resolve/main/onnx/text_model.onnx`. */
  path: string;
  /** The repository file the request was about (resolve and CDN requests). */
  file: string | undefined;
  range: string | undefined;
  authorization: string | undefined;
}

/** Switches for faults; mutate `hub.faults` between steps of a test. Keys are repository file paths. */
export interface HubFaults {
  /** Send only this many bytes of the body, then drop the connection (first request for the file only). */
  dropAfter: Map<string, number>;
  /** Send this many bytes and then nothing, keeping the connection open (first request only). */
  stallAfter: Map<string, number>;
  /** Answer HTTP 500 this many times before serving the file (`'tree'` for the listing). */
  fail500: Map<string, number>;
  /** Serve the file one byte short (the listing keeps the true size). */
  wrongSize: Set<string>;
  /** Serve the file with one byte flipped (the listing keeps the true sha256). */
  wrongHash: Set<string>;
  /** Ignore Range headers and always answer 200 with the whole file. */
  ignoreRange: boolean;
}

export interface FakeHubOptions {
  /** Repository id → directory whose files the fake serves as that repository. */
  repos: Record<string, string>;
  /** Revisions that resolve (plus the commit sha itself); default `['main']`. */
  revisions?: string[];
  commit?: string;
  /** Tree API page size; more entries get a `Link: <...>; rel="next"` header. */
  pageSize?: number;
  /** Files larger than this, and every `*.onnx*` file, are "LFS": sha256 listed, served via a 302. */
  lfsThreshold?: number;
  /** When set, API and resolve requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
}

export interface FakeHub {
  /** Base URL (`http://127.0.0.1:PORT`), what HF_ENDPOINT would be. */
  url: string;
  requests: HubRequest[];
  faults: HubFaults;
  close(): Promise<void>;
}

interface RepoFile {
  path: string;
  abs: string;
  size: number;
  lfs: boolean;
}

async function walk(root: string, dir = root): Promise<RepoFile[]> {
  const out: RepoFile[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, abs)));
    else if (e.isFile()) out.push({ path: relative(root, abs).split(sep).join('/'), abs, size: (await stat(abs)).size, lfs: false });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Starts a fake Hugging Face hub on 127.0.0.1 (random port) serving `options.repos`. */
export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const commit = options.commit ?? 'c0ffee0000000000000000000000000000000001';
  const revisions = new Set([...(options.revisions ?? ['main']), commit]);
  const pageSize = options.pageSize ?? 1000;
  const lfsThreshold = options.lfsThreshold ?? 10 * 1024 * 1024;
  const requests: HubRequest[] = [];
  const faults: HubFaults = {
    dropAfter: new Map(),
    stallAfter: new Map(),
    fail500: new Map(),
    wrongSize: new Set(),
    wrongHash: new Set(),
    ignoreRange: false,
  };

  const repoFiles = new Map<string, RepoFile[]>();
  for (const [repo, dir] of Object.entries(options.repos)) {
    const files = await walk(dir);
    for (const f of files) f.lfs = f.size > lfsThreshold || /\.onnx/.test(f.path);
    repoFiles.set(repo, files);
  }

  const failOnce = (key: string): boolean => {
    const n = faults.fail500.get(key) ?? 0;
    if (n <= 0) return false;
    faults.fail500.set(key, n - 1);
    return true;
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  async function listing(files: RepoFile[]): Promise<unknown[]> {
    const entries: unknown[] = [];
    const dirs = new Set<string>();
    for (const f of files) {
      const parts = f.path.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...dirs].sort()) entries.push({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d });
    for (const f of files) {
      const content = await readFile(f.abs);
      const gitOid = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
      const entry: Record<string, unknown> = { type: 'file', oid: gitOid, size: f.size, path: f.path };
      if (f.lfs) entry.lfs = { oid: createHash('sha256').update(content).digest('hex'), size: f.size, pointerSize: 134 };
      entries.push(entry);
    }
    return entries;
  }

  async function serveContent(req: IncomingMessage, res: ServerResponse, f: RepoFile): Promise<void> {
    if (failOnce(f.path)) return sendJson(res, 500, { error: 'Internal Error' });
    let content = await readFile(f.abs);
    if (faults.wrongSize.has(f.path)) content = content.subarray(0, content.length - 1);
    if (faults.wrongHash.has(f.path) && content.length > 0) {
      content = Buffer.from(content);
      content[content.length - 1] = content[content.length - 1]! ^ 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !faults.ignoreRange) {
      start = Number(m[1]);
      if (start >= content.length) {
        res.writeHead(416, { 'content-range': `bytes */${content.length}` });
        return void res.end();
      }
      res.writeHead(206, { 'content-length': String(content.length - start), 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` });
    } else {
      res.writeHead(200, { 'content-length': String(content.length), 'accept-ranges': 'bytes' });
    }
    const body = content.subarray(start);
    const drop = faults.dropAfter.get(f.path);
    const stall = faults.stallAfter.get(f.path);
    if (drop !== undefined) {
      faults.dropAfter.delete(f.path);
      res.flushHeaders();
      return void res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20));
    }
    if (stall !== undefined) {
      faults.stallAfter.delete(f.path);
      res.flushHeaders();
      return void res.write(body.subarray(0, stall));
    }
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const segs = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const record: HubRequest = {
      method: req.method ?? 'GET',
      rawUrl: req.url ?? '/',
      path: segs.join('/'),
      file: undefined,
      range: req.headers.range,
      authorization: req.headers.authorization,
    };
    requests.push(record);

    // LFS content behind the "CDN": no token needed, as with the real hub's signed CDN URLs.
    if (segs[0] === 'cdn-lfs') {
      const files = repoFiles.get(`${segs[1]}/${segs[2]}`);
      const f = files?.find((x) => x.path === segs.slice(3).join('/'));
      record.file = f?.path;
      return f ? serveContent(req, res, f) : sendJson(res, 404, { error: 'Entry not found' });
    }
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(res, 401, { error: 'Invalid username or password.' });
    }
    if (segs[0] === 'api' && segs[1] === 'models') {
      const repo = `${segs[2]}/${segs[3]}`;
      const files = repoFiles.get(repo);
      const rev = segs[5] ?? '';
      if (!files || !revisions.has(rev) || segs.length !== 6) return sendJson(res, 404, { error: 'Repository not found' });
      if (segs[4] === 'revision') return sendJson(res, 200, { id: repo, sha: commit });
      if (segs[4] !== 'tree') return sendJson(res, 404, { error: 'Not found' });
      if (failOnce('tree')) return sendJson(res, 500, { error: 'Internal Error' });
      const all = await listing(files);
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = all.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < all.length) {
        const next = new URL(url.href.replace('http://fake', `http://127.0.0.1:${port}`));
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return sendJson(res, 200, page, headers);
    }
    if (segs[2] === 'resolve') {
      const files = repoFiles.get(`${segs[0]}/${segs[1]}`);
      if (!files || !revisions.has(segs[3] ?? '')) return sendJson(res, 404, { error: 'Repository not found' });
      const path = segs.slice(4).join('/');
      const f = files.find((x) => x.path === path);
      record.file = path;
      if (!f) return sendJson(res, 404, { error: 'Entry not found' });
      if (f.lfs) {
        res.writeHead(302, { location: `/cdn-lfs/${segs[0]}/${segs[1]}/${path.split('/').map(encodeURIComponent).join('/')}` });
        return void res.end();
      }
      return serveContent(req, res, f);
    }
    sendJson(res, 404, { error: 'Not found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Writes `files` (repository path → content) under `dir`, creating folders; returns `dir`. */
export async function writeRepoFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}
