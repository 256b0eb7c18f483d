import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJpeg, writePainted, type Rgb } from '../fixtures/images.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { runCli } from '../helpers/cli.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// `ctgi index build / search / info / db migrate` with `--database URL --index NAME`: the same images give the
// same hits as a folder build, a gallery of another model is refused, and the URL's password is never printed.

const QUERY = 'a man in a red jacket and blue jeans';
const PASSWORD = 'not-to-be-printed-9f3e';

/** 3 images per camera folder, distinct colours. */
async function writeImages(dir: string): Promise<void> {
  let k = 0;
  for (const cam of ['cam1', 'cam2', 'cam3']) {
    await mkdir(join(dir, cam), { recursive: true });
    for (let i = 0; i < 3; i++, k++) {
      const top: Rgb = [(k * 53) % 256, (k * 97 + 40) % 256, (k * 31 + 90) % 256];
      const paint = (x: number, y: number): Rgb => (y < 50 ? top : [(x * 5 + k * 20) % 256, 60, (y + k * 9) % 256]);
      const file = join(dir, cam, `p${k}.${k % 2 ? 'png' : 'jpg'}`);
      await (k % 2 ? writePainted(file, 40, 100, paint) : writeJpeg(file, 40, 100, paint));
    }
  }
}

describe.skipIf(!hasPostgres)('PostgreSQL galleries from the CLI', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let db: { url: string; drop: () => Promise<void> };
  let model: TinyClipInfo;
  let other: TinyClipInfo;
  let images: string;
  /** The database URL with a password in it (the test server trusts local connections, so any password works). */
  let url: string;

  beforeAll(async () => {
    tmp = await makeTempDir('pg-gallery-cli');
    db = await makeTestDatabase('pg_gallery_cli');
    const u = new URL(db.url);
    u.password = PASSWORD;
    url = u.toString();
    model = await writeTinyClipModel(join(tmp.dir, 'model'), { layout: 'hf' });
    other = await writeTinyClipModel(join(tmp.dir, 'other-model'), { layout: 'hf', seed: 7, projectionDim: 24 });
    images = join(tmp.dir, 'images');
    await writeImages(images);
  });
  afterAll(async () => {
    await db?.drop();
    await tmp?.cleanup();
  });

  const search = async (args: string[]) => {
    const r = await runCli(['search', '--json', '--top', '9', ...args, QUERY]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Array<{ rank: number; path: string; score: number; cosine: number }>;
  };

  it('builds a named gallery with --database and searches it with the same hits as a folder build', async () => {
    const folder = join(tmp.dir, 'folder-index');
    const common = ['index', 'build', '--model', model.dir, '--images', images, '--camera-pattern', '^([^/]+)/', '--json'];
    const a = await runCli([...common, '--index', folder]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli([...common, '--database', url, '--index', 'people']);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ index: 'postgres gallery people', added: 9, images: 9 });
    expect(b.stdout + b.stderr).not.toContain(PASSWORD);

    const inFolder = await search(['--index', folder]);
    const inDb = await search(['--database', url, '--index', 'people']);
    expect(inDb.map((h) => h.path)).toEqual(inFolder.map((h) => h.path));
    inDb.forEach((h, i) => {
      expect(h.cosine).toBeCloseTo(inFolder[i].cosine, 6);
      expect(h.score).toBeCloseTo(inFolder[i].score, 6);
    });
    expect((await search(['--database', url, '--index', 'people', '--exact'])).map((h) => h.path)).toEqual(inFolder.map((h) => h.path));
    const cam2 = await search(['--database', url, '--index', 'people', '--camera', 'cam2']);
    expect(cam2.map((h) => h.path)).toEqual(inFolder.filter((h) => h.path.startsWith('cam2/')).map((h) => h.path));

    // A re-run adds nothing; info describes the gallery without the URL's password.
    const again = await runCli([...common, '--database', url, '--index', 'people']);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, unchanged: 9, images: 9 });
    const info = await runCli(['index', 'info', '--database', url, '--index', 'people']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/images: +9/);
    expect(info.stdout).toMatch(/cam1 \(3\), cam2 \(3\), cam3 \(3\)/);
    expect(info.stdout).not.toContain(PASSWORD);
  });

  it('refuses to add a gallery’s images with another model (INDEX_MISMATCH), and names missing galleries and bad names', async () => {
    const r = await runCli(['index', 'build', '--model', other.dir, '--images', images, '--database', url, '--index', 'people']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/was built with .*\(\d+-d\) but the model given is .*\(24-d\)/);
    expect(r.stderr).not.toContain(PASSWORD);
    const info = await runCli(['index', 'info', '--database', url, '--index', 'people']);
    expect(info.stdout).toMatch(/images: +9/);

    const missing = await runCli(['search', '--database', url, '--index', 'nobody', QUERY]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/has no gallery nobody/);
    expect(missing.stderr).not.toContain(PASSWORD);
    const bad = await runCli(['search', '--database', url, '--index', '../some/folder', QUERY]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/is not a gallery name/);
  });

  it('migrates a database with `ctgi db migrate`, listing what it applied, once', async () => {
    const fresh = await makeTestDatabase('pg_gallery_cli_migrate');
    try {
      const first = await runCli(['db', 'migrate', '--database', fresh.url]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/Applied \d+ migrations/);
      expect(first.stdout).toMatch(/0001_pgvector/);
      expect(first.stdout).toMatch(/0002_galleries/);
      const second = await runCli(['db', 'migrate', '--database', fresh.url]);
      expect(second.stdout).toMatch(/is up to date/);
    } finally {
      await fresh.drop();
    }
  });
});

describe.skipIf(hasPostgres)('PostgreSQL galleries from the CLI', () => {
  it.skip(POSTGRES_SKIP_REASON, () => undefined);
});
