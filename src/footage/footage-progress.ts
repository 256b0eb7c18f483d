import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Box } from './box.js';
import type { TrackerSnapshot } from './tracker.js';

// Where a footage build stands, per source, saved after every commit to the gallery: the next frame to
// decode, the tracker's live tracks and the crops they have kept so far (already on disk). A killed run
// resumes from here, re-decoding only frames after the last commit; replaying them makes the same
// decisions and writes the same crop files, which ingest recognises as already indexed.

/** A crop a live track has kept, written to `file`. */
export interface KeptCrop {
  frame: number;
  timeMs: number;
  box: Box;
  score: number;
  quality: number;
  file: string;
}

/** A live track's crops and how often it was seen. */
export interface PendingTrack {
  hits: number;
  crops: KeptCrop[];
}

/** One source's state. */
export interface SourceProgress {
  /** Size and modification time of the source when it was started: a changed source starts over. */
  size: number;
  mtimeMs: number;
  nextFrame: number;
  done: boolean;
  tracker: TrackerSnapshot;
  pending: Record<string, PendingTrack>;
}

/** Every source's state, by `camera|source path`. */
export type FootageProgress = Record<string, SourceProgress>;

/** The progress file of an index folder. */
export function progressPath(indexDir: string): string {
  return join(indexDir, 'footage-progress.json');
}

/** Reads the progress file; empty when there is none (or it is unreadable: the build then starts over). */
export async function readProgress(indexDir: string): Promise<FootageProgress> {
  try {
    return JSON.parse(await readFile(progressPath(indexDir), 'utf8')) as FootageProgress;
  } catch {
    return {};
  }
}

/** Writes the progress file atomically (a temp file renamed over it). */
export async function writeProgress(indexDir: string, progress: FootageProgress): Promise<void> {
  const path = progressPath(indexDir);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(progress));
  await rename(tmp, path);
}
