import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery, galleryRef } from '../../src/gallery/open-gallery.js';
import { writePainted } from '../fixtures/images.js';

// Real `ctgi index build --database` processes over one gallery, for the shared-build tests.

const BIN = fileURLToPath(new URL('../../bin/ctgi.js', import.meta.url));

/** Writes `n` distinct painted PNGs into `dir`. */
export async function writeImages(dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < n; k++) {
    await writePainted(join(dir, `img${String(k).padStart(4, '0')}.png`), 32, 64, (x, y) => [(k * 37 + x) % 256, (k * 11 + y * 3) % 256, (k * 71) % 256]);
  }
}

/** The argv of one build worker: small batches so the work is split into many claims. */
export function sharedBuildArgs(o: { model: string; images: string; index: string; database: string; lease?: number }): string[] {
  return [BIN, 'index', 'build', '--model', o.model, '--images', o.images, '--index', o.index, '--database', o.database, '--batch-size', '2', '--lease', String(o.lease ?? 60), '--json'];
}

/** A running worker process; `done` resolves with its exit code and output. */
export interface Worker {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Opens the database gallery `name` (undefined until a worker has created it). */
export async function openShared(url: string, name: string): Promise<Gallery | undefined> {
  try {
    return await openGallery(galleryRef(name, { url }));
  } catch {
    return undefined;
  }
}

/** Resolves once the worker's progress line reports at least `atLeast` images of the run done (or it has exited). */
export async function waitForProgress(worker: Worker, atLeast: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let seen = '';
    const check = (c: Buffer) => {
      seen = (seen + c.toString()).slice(-400);
      const done = [...seen.matchAll(/(\d+)\/\d+ images/g)].map((m) => Number(m[1]));
      if (done.some((n) => n >= atLeast)) {
        worker.child.stderr!.off('data', check);
        resolve();
      }
    };
    worker.child.stderr!.on('data', check);
    void worker.done.then(() => resolve());
  });
}

/** Paths and sha256s of every image of a gallery, and how many images it counts. */
export async function contents(gallery: Gallery): Promise<{ count: number; paths: string[]; shas: string[] }> {
  const { ids } = await gallery.loadEmbeddings();
  const records = [...(await gallery.getMany(ids)).values()];
  return { count: await gallery.count(), paths: records.map((r) => r.path).sort(), shas: records.map((r) => r.sha256) };
}
