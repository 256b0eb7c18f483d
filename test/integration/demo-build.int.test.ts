import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyClipModel } from '../fixtures/tiny-clip.js';
import { runCli, spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let cleanup: () => Promise<void>;
let world: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('demo-build'));
  world = join(root, 'world');
  const r = await runCli(['demo', 'build', '--identities', '30', '--seed', '4', '--out', world]);
  expect(r.stderr).not.toMatch(/Internal error/);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Demo world \(synthetic data, seed 4\): 30 people/);
}, 120_000);
afterAll(() => cleanup());

describe('demo build', () => {
  it('indexes every rendered image with the demo encoder, labelled as such', async () => {
    const truth = JSON.parse(await readFile(join(world, 'ground-truth.json'), 'utf8')) as { identities: Array<{ images: unknown[] }> };
    const images = truth.identities.reduce((n, p) => n + p.images.length, 0);
    const info = JSON.parse((await runCli(['index', 'info', '--index', join(world, 'index'), '--json'])).stdout);
    expect(info.images).toBe(images);
    expect(info.model).toMatchObject({ id: 'ctgi-demo-encoder-v1', layout: 'demo' });
    expect(info.skipped).toEqual([]);
  });

  it('finds the person a full caption describes at rank 1 for most people', async () => {
    const truth = JSON.parse(await readFile(join(world, 'ground-truth.json'), 'utf8')) as { identities: Array<{ id: number; captions: string[] }> };
    let top1 = 0;
    for (const person of truth.identities) {
      const hits = JSON.parse((await runCli(['search', '--index', join(world, 'index'), '--json', '--top', '1', person.captions[0]])).stdout);
      const path = hits[0].path as string;
      if (path.includes(`/${String(person.id).padStart(4, '0')}_`)) top1++;
    }
    expect(top1 / truth.identities.length).toBeGreaterThan(0.8);
  });

  it('reuses the world on a second build and never mixes it with a CLIP index', async () => {
    const again = await runCli(['demo', 'build', '--identities', '30', '--seed', '4', '--out', world]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/rendering/);
    const clip = await writeTinyClipModel(join(root, 'clip'), { layout: 'hf' });
    const mixed = await runCli(['index', 'add', '--index', join(world, 'index'), '--model', clip.dir, join(world, 'images')]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/built with ctgi-demo-encoder-v1 .* the model given is ctgi-test\/tiny-clip-hf/);
  });
});

describe('eval --demo', () => {
  it('prints retrieval metrics on the vague queries as JSON rows', async () => {
    const r = await spawnCtgi(['eval', '--demo', '--identities', '30', '--seed', '4', '--json', '--no-mti'], { CTGI_HOME: join(root, 'home') });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ seed: 4, identities: 30 });
    expect(out.queries).toBeGreaterThanOrEqual(60);
    expect(out.rows).toHaveLength(1);
    const row = out.rows[0];
    expect(row).toMatchObject({ mode: 'retrieval', round: 0 });
    for (const k of ['R1', 'R5', 'R10', 'mAP', 'mINP']) expect(row[k]).toBeGreaterThanOrEqual(0);
    expect(row.R1).toBeLessThanOrEqual(row.R5);
    expect(row.R5).toBeLessThanOrEqual(row.R10);
    const bad = await spawnCtgi(['eval', '--demo', '--model', '/x'], { CTGI_HOME: join(root, 'home') });
    expect(bad.stderr).toMatch(/--demo evaluates the synthetic demo world/);
  }, 120_000);
});
