import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CtgiError } from '../../errors/ctgi-error.js';
import { hashFileInto } from '../../util/file-hash.js';
import type { HubClient, HubFile } from './hub-client.js';
import { networkReason } from './hub-client.js';
import { TransientError, withRetry, type RetryPolicy } from './transient-error.js';

/** One file to fetch into `dest` (via `dest.part`), verified against the listing. */
export interface FileDownloadRequest {
  hub: HubClient;
  repo: string;
  /** The revision (or commit) to resolve the file at. */
  revision: string;
  file: HubFile;
  /** Final absolute path; appears only once the content is verified. */
  dest: string;
  retry: RetryPolicy;
  /** A transfer that receives nothing for this long is aborted and retried (resuming). */
  stallTimeoutMs: number;
  /** Called with the bytes of this file on disk so far (may go down when a download restarts). */
  onProgress?: (fileBytes: number) => void;
}

/** Size of `path`, or undefined when it does not exist. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Downloads one file: resumes an existing `.part` with a Range request, retries transient failures,
 * checks size (and sha256 for LFS files), then renames `.part` to `dest` atomically.
 * @throws CtgiError DOWNLOAD_FAILED (mismatch, disk error, retries exhausted), NOT_FOUND, UNAUTHORIZED.
 */
export async function downloadFile(req: FileDownloadRequest): Promise<void> {
  await mkdir(dirname(req.dest), { recursive: true });
  let progressed = false;
  let restartedAfterBadResume = false;
  try {
    await withRetry(
      req.retry,
      async () => {
        for (;;) {
          const outcome = await attempt(req, () => (progressed = true));
          if (outcome.kind === 'done') return;
          // A resumed .part (perhaps left by a run against another revision) did not verify: it was
          // deleted, and the file gets one fresh start before the checksum failure is reported.
          if (restartedAfterBadResume) throw checksumMismatch(req, outcome.got);
          restartedAfterBadResume = true;
        }
      },
      () => {
        const p = progressed;
        progressed = false;
        return p;
      },
    );
  } catch (err) {
    if (err instanceof TransientError) {
      throw new CtgiError(
        'DOWNLOAD_FAILED',
        `${err.message}; check your connection and run the same command again, it resumes where it stopped.`,
        { cause: err },
      );
    }
    throw err;
  }
}

type Outcome = { kind: 'done' } | { kind: 'bad-resume'; got: string };

async function attempt(req: FileDownloadRequest, markProgress: () => void): Promise<Outcome> {
  const { file } = req;
  const part = `${req.dest}.part`;
  let offset = (await fileSize(part)) ?? 0;
  if (offset > file.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  req.onProgress?.(offset);
  // A .part that is already whole (e.g. the process died just before the rename) needs no request.
  if (offset === file.size && offset > 0) return verifyAndCommit(req, part, offset, await partHash(req, part, offset), true);

  const controller = new AbortController();
  let stallTimer: NodeJS.Timeout | undefined;
  const armStallTimer = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => controller.abort(), req.stallTimeoutMs);
  };
  armStallTimer();
  try {
    const dl = await req.hub.download(req.repo, req.revision, file.path, offset, controller.signal);
    if (dl.status === 416 || (dl.status === 206 && dl.rangeStart !== undefined && dl.rangeStart !== offset)) {
      // The server disagrees with our partial file (it is shorter than the .part, or ignored the offset):
      // the .part cannot be trusted, so start from zero.
      await rm(part, { force: true });
      throw new TransientError(`The hub could not resume ${file.path} from byte ${offset}; starting it again`);
    }
    if (dl.status === 200) offset = 0;
    const hash = await partHash(req, part, offset);
    const resumedFrom = offset;
    const fh = await open(part, offset > 0 ? 'a' : 'w');
    let written = offset;
    try {
      const it = dl.body[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await it.next();
          } catch (err) {
            const reason = controller.signal.aborted ? `nothing received for ${Math.round(req.stallTimeoutMs / 1000)} s` : networkReason(err);
            throw new TransientError(`The connection to ${req.hub.endpoint} dropped while downloading ${file.path} (${reason})`, { cause: err });
          }
          if (next.done) break;
          const chunk = next.value;
          if (written + chunk.length > file.size) {
            await fh.close().catch(() => {});
            await rm(part, { force: true });
            throw sizeMismatch(req, `more than ${file.size}`);
          }
          hash?.update(chunk);
          try {
            await fh.write(chunk);
          } catch (err) {
            throw new CtgiError('DOWNLOAD_FAILED', `Could not write ${part}: ${(err as NodeJS.ErrnoException).code ?? 'write error'}; check free disk space and permissions.`, { cause: err });
          }
          written += chunk.length;
          markProgress();
          armStallTimer();
          req.onProgress?.(written);
        }
      } finally {
        await it.return?.().catch(() => undefined);
      }
      await fh.datasync();
    } finally {
      await fh.close().catch(() => {});
    }
    if (written !== file.size) {
      await rm(part, { force: true });
      throw sizeMismatch(req, String(written));
    }
    return verifyAndCommit(req, part, written, hash, resumedFrom > 0);
  } finally {
    clearTimeout(stallTimer);
  }
}

/** A sha256 primed with the first `offset` bytes already in `part`, for LFS files; undefined otherwise. */
async function partHash(req: FileDownloadRequest, part: string, offset: number): Promise<Hash | undefined> {
  if (req.file.sha256 === undefined) return undefined;
  const hash = createHash('sha256');
  if (offset > 0) await hashFileInto(hash, part);
  return hash;
}

async function verifyAndCommit(req: FileDownloadRequest, part: string, size: number, hash: Hash | undefined, resumed: boolean): Promise<Outcome> {
  if (size !== req.file.size) {
    await rm(part, { force: true });
    throw sizeMismatch(req, String(size));
  }
  if (hash !== undefined) {
    const got = hash.digest('hex');
    if (got !== req.file.sha256) {
      await rm(part, { force: true });
      if (resumed) return { kind: 'bad-resume', got };
      throw checksumMismatch(req, got);
    }
  }
  await rename(part, req.dest);
  return { kind: 'done' };
}

function checksumMismatch(req: FileDownloadRequest, got: string): CtgiError {
  return new CtgiError(
    'DOWNLOAD_FAILED',
    `${req.file.path} from ${req.repo} failed its checksum: expected sha256 ${req.file.sha256}, got ${got}; ` +
      `the damaged download was deleted, run the command again (if it keeps failing the hub copy is corrupt).`,
  );
}

function sizeMismatch(req: FileDownloadRequest, got: string): CtgiError {
  return new CtgiError(
    'DOWNLOAD_FAILED',
    `${req.file.path} from ${req.repo} has the wrong size: the hub listing says ${req.file.size} bytes but the download had ${got}; ` +
      `the partial file was deleted, run the command again (if it keeps failing the hub copy is inconsistent).`,
  );
}
