import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CtgiError } from '../../errors/ctgi-error.js';
import { sha256File } from '../../util/file-hash.js';
import { downloadFile, fileSize } from './file-download.js';
import type { HubClient, HubFile } from './hub-client.js';
import { resolveModelRef, type ModelRef } from './model-aliases.js';
import { selectModelFiles, type PulledLayout } from './model-files.js';
import { acquirePullLock } from './pull-lock.js';
import { manifestFilesIntact, readPullManifest, removePullManifest, writePullManifest, type PullManifest } from './pull-manifest.js';
import { DEFAULT_RETRY, TransientError, withRetry, type RetryPolicy } from './transient-error.js';

/** Where models live and how they are fetched. */
export interface ModelStoreOptions {
  /** Root of pulled models (`Config.modelsDir`): a repo `owner/name` lives in `<modelsDir>/owner/name/`. */
  modelsDir: string;
  hub: HubClient;
  retry?: RetryPolicy;
  /** Abort and resume a transfer that receives nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  now?: () => Date;
}

/** Progress callbacks of a pull (the CLI draws a bar from them). */
export interface PullObserver {
  /** Once, before the first byte: the bytes to fetch and how many of them a previous run already saved. */
  start?(plan: { totalBytes: number; doneBytes: number; files: number }): void;
  /** Bytes of the plan on disk so far. */
  progress?(doneBytes: number): void;
}

/** The outcome of a pull. */
export interface PullResult {
  dir: string;
  repo: string;
  revision: string;
  commit: string | undefined;
  layout: PulledLayout;
  /** True when a complete pull of this revision was already there and nothing was fetched. */
  upToDate: boolean;
  /** Files fetched (or resumed) by this run. */
  downloaded: string[];
}

const DEFAULT_STALL_MS = 60_000;

/** Pulls CLIP models from the hub into a local directory tree, resumably and verified. */
export class ModelStore {
  readonly modelsDir: string;
  readonly #hub: HubClient;
  readonly #retry: RetryPolicy;
  readonly #stallMs: number;
  readonly #now: () => Date;

  constructor(options: ModelStoreOptions) {
    this.modelsDir = resolve(options.modelsDir);
    this.#hub = options.hub;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_MS;
    this.#now = options.now ?? (() => new Date());
  }

  /** The directory a repository is (or would be) pulled into. @throws CtgiError BAD_INPUT for a bad name. */
  dirFor(nameOrRepo: string): string {
    const ref = resolveModelRef(nameOrRepo);
    return join(this.modelsDir, ref.owner, ref.name);
  }

  /**
   * Pulls `nameOrRepo` (an alias or `owner/name`) at `revision`. A complete earlier pull of the same
   * revision is a no-op; an interrupted one resumes.
   * @throws CtgiError BAD_INPUT, NOT_FOUND, UNAUTHORIZED, MODEL_INVALID, DOWNLOAD_FAILED.
   */
  async pull(nameOrRepo: string, options: { revision?: string; observer?: PullObserver } = {}): Promise<PullResult> {
    const ref = resolveModelRef(nameOrRepo);
    const revision = checkRevision(options.revision ?? 'main');
    const dir = join(this.modelsDir, ref.owner, ref.name);

    const upToDate = await this.#completePull(dir, ref, revision);
    if (upToDate) return upToDate;

    const commit = await this.#hub.commitOf(ref.repo, revision);
    const listing = await this.#hubCall(() => this.#hub.listFiles(ref.repo, revision));
    const { layout, files } = selectModelFiles(ref.repo, listing, ref.file);
    for (const f of files) safePath(dir, f.path, ref.repo);

    await mkdir(dir, { recursive: true });
    const release = await acquirePullLock(dir, ref.repo);
    try {
      // Another process may have finished the same pull while we listed.
      const doneMeanwhile = await this.#completePull(dir, ref, revision);
      if (doneMeanwhile) return doneMeanwhile;
      const previous = await readPullManifest(dir);
      await removePullManifest(dir);

      const todo: HubFile[] = [];
      for (const f of files) if (!(await alreadyHave(dir, f, previous))) todo.push(f);
      const downloaded = await this.#fetchAll(dir, ref, commit ?? revision, todo, options.observer);

      const manifest: PullManifest = {
        repo: ref.repo,
        revision,
        commit: commit ?? null,
        layout,
        files: files.map((f) => (f.sha256 === undefined ? { path: f.path, size: f.size } : { path: f.path, size: f.size, sha256: f.sha256 })),
        pulledAt: this.#now().toISOString(),
      };
      await writePullManifest(dir, manifest);
      return { dir, repo: ref.repo, revision, commit, layout, upToDate: false, downloaded };
    } finally {
      await release();
    }
  }

  /** A no-op result when `dir` holds a complete pull of `revision` whose files are all there. */
  async #completePull(dir: string, ref: ModelRef, revision: string): Promise<PullResult | undefined> {
    const m = await readPullManifest(dir);
    if (!m || m.repo !== ref.repo || m.revision !== revision || (ref.file !== undefined && !m.files.some((f) => f.path === ref.file)) || !(await manifestFilesIntact(dir, m))) return undefined;
    return { dir, repo: m.repo, revision, commit: m.commit ?? undefined, layout: m.layout, upToDate: true, downloaded: [] };
  }

  async #fetchAll(dir: string, ref: ModelRef, at: string, todo: HubFile[], observer: PullObserver | undefined): Promise<string[]> {
    const totalBytes = todo.reduce((s, f) => s + f.size, 0);
    const onDisk: number[] = [];
    for (const f of todo) onDisk.push(Math.min((await fileSize(`${join(dir, f.path)}.part`)) ?? 0, f.size));
    const sum = (): number => onDisk.reduce((s, n) => s + n, 0);
    observer?.start?.({ totalBytes, doneBytes: sum(), files: todo.length });
    for (const [i, file] of todo.entries()) {
      await downloadFile({
        hub: this.#hub,
        repo: ref.repo,
        revision: at,
        file,
        dest: join(dir, file.path),
        retry: this.#retry,
        stallTimeoutMs: this.#stallMs,
        onProgress: (bytes) => {
          onDisk[i] = bytes;
          observer?.progress?.(sum());
        },
      });
      onDisk[i] = file.size;
    }
    observer?.progress?.(sum());
    return todo.map((f) => f.path);
  }

  async #hubCall<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(this.#retry, op);
    } catch (err) {
      if (err instanceof TransientError) {
        throw new CtgiError('DOWNLOAD_FAILED', `${err.message}; check your connection and HF_ENDPOINT, then try again.`, { cause: err });
      }
      throw err;
    }
  }
}

/** True when `dir` already holds `file` verified (it only ever appears there after verification). */
async function alreadyHave(dir: string, file: HubFile, previous: PullManifest | undefined): Promise<boolean> {
  const path = join(dir, file.path);
  if ((await fileSize(path)) !== file.size) return false;
  if (file.sha256 === undefined) return true;
  if (previous?.files.some((p) => p.path === file.path && p.sha256 === file.sha256)) return true;
  // Same size but no record of which content (another revision, or an interrupted first pull): check it.
  if ((await sha256File(path)) === file.sha256) return true;
  await rm(path, { force: true });
  return false;
}

function checkRevision(revision: string): string {
  // eslint-disable-next-line no-control-regex
  if (revision.length === 0 || revision.length > 255 || /[\u0000-\u001f\u007f]/.test(revision)) {
    throw new CtgiError('BAD_INPUT', `${JSON.stringify(revision)} is not a valid revision: give a branch, tag or commit such as main.`);
  }
  return revision;
}

/** Refuses listing paths that would land outside the model directory. */
function safePath(dir: string, path: string, repo: string): string {
  const full = resolve(dir, path);
  const rel = relative(dir, full);
  if (path.includes('\\') || isAbsolute(path) || rel === '' || rel.startsWith(`..${sep}`) || rel === '..') {
    throw new CtgiError('DOWNLOAD_FAILED', `The hub listing for ${repo} contains the unsafe path ${JSON.stringify(path)}; refusing to write it.`);
  }
  return full;
}
