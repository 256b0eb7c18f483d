import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function expectOneSentenceError(r: { code: number; stdout: string; stderr: string }, mention: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ctgi: .+\.$/);
  expect(lines[0]).toMatch(mention);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

// The hand-worked example of test/unit/metrics.test.ts, with mixed id types:
// query "a": matches at ranks 1 and 5 → AP 0.7, INP 0.4; query 2 ("b"): matches at 3 and 5 → AP 11/30, INP 0.4.
// R1 50, R5 100, R10 100, mAP 16/30 → 53.33, mINP 40.
const input = {
  similarity: [
    [0.9, 0.8, 0.1, 0.7, 0.3],
    [0.2, 0.1, 0.6, 0.5, 0.4],
  ],
  queryIds: ['a', 2],
  galleryIds: ['a', '2', 'a', 3, 2],
};

describe('ctgi metrics', () => {
  it('prints exactly {R1, R5, R10, mAP, mINP} in percent', async () => {
    const r = await runCli(['metrics'], JSON.stringify(input));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(out)).toEqual(['R1', 'R5', 'R10', 'mAP', 'mINP']);
    expect(out.R1).toBeCloseTo(50, 10);
    expect(out.R5).toBeCloseTo(100, 10);
    expect(out.R10).toBeCloseTo(100, 10);
    expect(out.mAP).toBeCloseTo((100 * 16) / 30, 10);
    expect(out.mINP).toBeCloseTo(40, 10);
  });

  it('names a query without a match', async () => {
    const r = await runCli(['metrics'], JSON.stringify({ ...input, queryIds: ['a', 'p7'] }));
    expectOneSentenceError(r, /Query 1 \(id "p7"\) has no match in the gallery/);
  });

  it('refuses input that is not JSON, not an object, missing a key, or ragged', async () => {
    expectOneSentenceError(await runCli(['metrics'], '{"similarity": ['), /not valid JSON/);
    expectOneSentenceError(await runCli(['metrics'], '[[0.1]]'), /must be a JSON object/);
    expectOneSentenceError(await runCli(['metrics'], JSON.stringify({ similarity: [[1]], queryIds: [1] })), /"galleryIds" as a JSON array/);
    const ragged = { ...input, similarity: [[0.9, 0.8, 0.1, 0.7, 0.3], [0.2]] };
    expectOneSentenceError(await runCli(['metrics'], JSON.stringify(ragged)), /Row 1 of the similarity matrix has 1 values/);
    const nullScore = { ...input, similarity: [[0.9, 0.8, 0.1, 0.7, null], input.similarity[1]] };
    expectOneSentenceError(await runCli(['metrics'], JSON.stringify(nullScore)), /Similarity \[0\]\[4\] is null/);
  });

  it('works as a real process: stdout JSON, exit 0; bad input exits 1', () => {
    const bin = join(projectRoot, 'bin', 'ctgi.js');
    const ok = spawnSync(process.execPath, [bin, 'metrics'], { input: JSON.stringify(input), encoding: 'utf8', cwd: projectRoot, timeout: 60_000 });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).R1).toBeCloseTo(50, 10);
    const bad = spawnSync(process.execPath, [bin, 'metrics'], { input: '{}', encoding: 'utf8', cwd: projectRoot, timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
