// One bad entry in an images folder must not break `index build` (issue 17 items 2 and 12): links to
// directories or FIFOs, broken links, FIFOs, links leaving the folder and non-JPEG/PNG/WebP content under an
// image name are skipped and listed with the reason; the good images are indexed. `embed image` answers
// such a file with a sentence instead of hanging.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RED, solidImageBytes, solidSvgText, writeJpeg, writePainted, writeSolid } from '../fixtures/images.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { runCli } from '../helpers/cli.js';
import { makeFifo, releaseFifoReaders } from '../helpers/special-files.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let temp: { dir: string; cleanup: () => Promise<void> };
let model: TinyClipInfo;
let images: string;
let outsideImage: string;
const fifos: string[] = [];

beforeAll(async () => {
  temp = await makeTempDir('index-bad-entries');
  model = await writeTinyClipModel(join(temp.dir, 'model'), { layout: 'hf' });
  images = join(temp.dir, 'images');
  await mkdir(join(images, 'cam1'), { recursive: true });
  await writeJpeg(join(images, 'cam1', 'a.jpg'), 40, 100, (x, y) => [x * 6, y * 2, 90]);
  await writePainted(join(images, 'cam1', 'b.png'), 40, 100, (x, y) => [200, x * 5, y]);
  await writeSolid(join(images, 'c.webp'), 40, 100, [30, 160, 220]);
  const subdir = join(temp.dir, 'elsewhere');
  await mkdir(subdir);
  outsideImage = await writeSolid(join(subdir, 'outside.png'), 40, 100, [250, 240, 10]);
  await symlink(join(images, 'cam1'), join(images, 'dir-link.jpg'));
  const pipe = makeFifo(join(temp.dir, 'pipe'));
  fifos.push(pipe);
  await symlink(pipe, join(images, 'fifo-link.jpg'));
  fifos.push(makeFifo(join(images, 'cam1', 'fifo.png')));
  await symlink(join(temp.dir, 'gone.jpg'), join(images, 'broken.png'));
  await symlink(outsideImage, join(images, 'outside-link.png'));
  await writeFile(join(images, 'gif.png'), await solidImageBytes('gif', 40, 100, RED));
  await writeFile(join(images, 'tiff.jpg'), await solidImageBytes('tiff', 40, 100, RED));
  await writeFile(join(images, 'svg.webp'), solidSvgText(40, 100));
});

afterAll(async () => {
  for (const fifo of fifos) await releaseFifoReaders(fifo);
  await temp.cleanup();
});

const NOT_A_FORMAT = (name: string) => `${name}, not JPEG, PNG or WebP`;

describe('index build over a folder with bad entries', () => {
  it('indexes the good images and lists every other entry with its reason', { timeout: 60_000 }, async () => {
    const index = join(temp.dir, 'index');
    const r = await runCli(['index', 'build', '--model', model.dir, '--images', images, '--index', index, '--json']);
    expect(r.stderr).not.toMatch(/Internal error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { added: number; images: number; skipped: Array<{ path: string; reason: string }> };
    expect(report.added).toBe(3);
    expect(report.images).toBe(3);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['broken.png', 'cam1/fifo.png', 'dir-link.jpg', 'fifo-link.jpg', 'gif.png', 'outside-link.png', 'svg.webp', 'tiff.jpg']);
    expect(reasons['dir-link.jpg']).toBe('it is a symbolic link to a directory, not to a regular file');
    expect(reasons['fifo-link.jpg']).toBe('it is a symbolic link to a FIFO (named pipe), not to a regular file');
    expect(reasons['cam1/fifo.png']).toBe('it is a FIFO (named pipe), not a regular file');
    expect(reasons['broken.png']).toBe('it is a broken symbolic link (its target does not exist)');
    expect(reasons['outside-link.png']).toBe(`it is a symbolic link to ${outsideImage}, outside the images folder`);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toEqual([
      'Symbolic links to files outside the images folder were skipped; pass --follow-links-outside to index them.',
    ]);
    expect(reasons['gif.png']).toContain(NOT_A_FORMAT('GIF'));
    expect(reasons['tiff.jpg']).toContain(NOT_A_FORMAT('TIFF'));
    expect(reasons['svg.webp']).toContain(NOT_A_FORMAT('SVG (XML text)'));

    const info = await runCli(['index', 'info', '--index', index]);
    expect(info.stdout).toMatch(/skipped: +8 unreadable files/);
    expect(info.stdout).toContain('fifo-link.jpg: it is a symbolic link to a FIFO (named pipe), not to a regular file');

    const human = await runCli(['index', 'build', '--model', model.dir, '--images', images, '--index', index]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('0 images added, 3 already indexed');
    expect(human.stdout).toContain('  dir-link.jpg: it is a symbolic link to a directory, not to a regular file');
    expect(human.stdout).toContain('pass --follow-links-outside to index them.');
  });

  it('indexes links leaving the folder when asked to', { timeout: 60_000 }, async () => {
    const index = join(temp.dir, 'index-follow');
    const r = await runCli(['index', 'build', '--model', model.dir, '--images', images, '--index', index, '--follow-links-outside', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { added: number; skipped: Array<{ path: string }> };
    expect(report.added).toBe(4);
    expect(report.skipped.map((s) => s.path)).not.toContain('outside-link.png');
    expect(report.skipped).toHaveLength(7);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toEqual([]);
  });
});

describe('index add of named files', () => {
  it('skips a FIFO, a link to a directory and a broken link given by name, adding the rest', { timeout: 60_000 }, async () => {
    const index = join(temp.dir, 'index');
    const files = ['cam1/fifo.png', 'dir-link.jpg', 'broken.png', 'fifo-link.jpg'].map((f) => join(images, f));
    const r = await runCli(['index', 'add', '--index', index, '--json', ...files, outsideImage]);
    expect(r.stderr).not.toMatch(/Internal error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { added: number; skipped: Array<{ path: string; reason: string }> };
    expect(report.added).toBe(1);
    expect(report.skipped.map((s) => s.reason)).toEqual([
      'it is a FIFO (named pipe), not a regular file',
      'it is a directory, not a regular file',
      'the file does not exist (or is a broken symbolic link)',
      'it is a FIFO (named pipe), not a regular file',
    ]);
  });
});

describe('embed image on a bad file', () => {
  it('answers a FIFO, a link to one and a GIF named .png with a sentence instead of hanging', { timeout: 30_000 }, async () => {
    for (const [file, reason] of [
      [join(images, 'cam1', 'fifo.png'), 'it is a FIFO (named pipe), not a regular file.'],
      [join(images, 'fifo-link.jpg'), 'it is a FIFO (named pipe), not a regular file.'],
      [join(images, 'gif.png'), 'its content is GIF, not JPEG, PNG or WebP (ctgi decides by content, not by the file name).'],
    ]) {
      const r = await runCli(['embed', 'image', '--model', model.dir, file]);
      expect(r.code, file).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`ctgi: Cannot read image ${file}: ${reason}\n`);
    }
  });
});
