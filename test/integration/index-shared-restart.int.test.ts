import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { hasPostgres, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { contents, openShared, sharedBuildArgs, startWorker, waitForProgress, writeImages } from '../helpers/shared-build.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// The PostgreSQL server restarted in the middle of a shared index build: the worker waits for it, resumes,
// and the gallery ends up with every image exactly once. It runs on a throwaway server of its own (the shared
// test server is never stopped), started with ../shared/tools/pg-test-server.sh like .ci/run does.

const SERVER_SCRIPT = resolve(__dirname, '../../../shared/tools/pg-test-server.sh');
const PORT = '55498';
const IMAGES = 240;
const run = promisify(execFile);
const canRun = hasPostgres && existsSync(SERVER_SCRIPT);
if (!canRun) console.warn(hasPostgres ? `PostgreSQL restart test skipped: ${SERVER_SCRIPT} is missing.` : POSTGRES_SKIP_REASON);

describe.skipIf(!canRun)('a PostgreSQL restart during a shared index build', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let serverDir: string;
  let url: string;
  let model: TinyClipInfo;
  let images: string;
  let serverUp = false;

  const server = async (cmd: 'start' | 'stop') => {
    const { stdout } = await run('bash', [SERVER_SCRIPT, cmd, serverDir, ...(cmd === 'start' ? [PORT] : [])], { timeout: 240_000 });
    serverUp = cmd === 'start';
    return stdout.trim();
  };

  beforeAll(async () => {
    temp = await makeTempDir('pg-restart');
    serverDir = join(temp.dir, 'pg');
    url = await server('start');
    model = await writeTinyClipModel(join(temp.dir, 'model'), { layout: 'hf' });
    images = join(temp.dir, 'images');
    await writeImages(images, IMAGES);
  }, 300_000);
  afterAll(async () => {
    if (serverUp) await server('stop').catch(() => undefined);
    await temp?.cleanup();
  }, 60_000);

  it('resumes once the server is back: nothing lost, nothing stored twice', async () => {
    const worker = startWorker(sharedBuildArgs({ model: model.dir, images, index: 'restarted', database: url }));
    await waitForProgress(worker, 40);
    await server('stop');
    await new Promise((r) => setTimeout(r, 1500));
    await server('start');
    const result = await worker.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/database is unreachable/);
    const report = JSON.parse(result.stdout);
    // A batch whose write was cut off is ingested again; what got stored is found by the dedupe, not doubled.
    expect(report.added + report.unchanged).toBe(IMAGES);
    expect(report.shared.run).toMatchObject({ items: IMAGES, done: IMAGES });

    const gallery = (await openShared(url, 'restarted'))!;
    try {
      const c = await contents(gallery);
      expect(c.count).toBe(IMAGES);
      expect(new Set(c.paths).size).toBe(IMAGES);
      expect(new Set(c.shas).size).toBe(IMAGES);
    } finally {
      await gallery.close({ save: false });
    }
  }, 480_000);
});
