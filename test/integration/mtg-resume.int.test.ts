import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/datasets/dataset-io.js';
import { buildDemo, type DemoBuild } from '../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { PROMPT_MARKERS } from '../../src/mllm/prompts.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const BIN = resolve(__dirname, '../../bin/ctgi.js');

/** Counts the caption requests (P_init) that reach the demo MLLM; `reset()` starts a new count. */
async function startCountingProxy(target: string) {
  const upstream = new URL(target);
  let captions = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.includes(PROMPT_MARKERS.caption) && !body.includes(PROMPT_MARKERS.reconstruction)) captions++;
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    captions: () => captions,
    reset: () => (captions = 0),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Images whose caption line is in the turn log (lines are appended only after the image's row is committed). */
async function loggedImages(log: string): Promise<string[]> {
  if (!existsSync(log)) return [];
  const text = await readFile(log, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes('"kind":"caption"'))
    .map((l) => (JSON.parse(l) as { image: string }).image);
}

function doneKeys(jobs: string): string[] {
  const db = openSqlite(jobs, { readonly: true, mustExist: true });
  try {
    return (db.prepare("SELECT key FROM jobs WHERE status = 'done'").all() as Array<{ key: string }>).map((r) => r.key);
  } finally {
    db.close();
  }
}

/**
 * Starts `ctgi caption` as a real process and sends `signal` once `after` images are in the turn log.
 * Resolves with its exit code, signal and stderr.
 */
function runAndSignal(args: string[], env: Record<string, string>, log: string, after: number, signal: NodeJS.Signals) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; seenAtSignal: number }>((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: resolve(__dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let seenAtSignal = -1;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const timer = setInterval(() => {
      void loggedImages(log).then((seen) => {
        if (seenAtSignal < 0 && seen.length >= after) {
          seenAtSignal = seen.length;
          child.kill(signal);
        }
      });
    }, 25);
    child.on('error', fail);
    child.on('close', (code, sig) => {
      clearInterval(timer);
      done({ code, signal: sig, stderr, seenAtSignal });
    });
  });
}

describe('ctgi caption survives being killed and interrupted', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let build: DemoBuild;
  let server: DemoMllmServer;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  let total: number;

  beforeAll(async () => {
    temp = await makeTempDir('mtg-resume');
    build = await buildDemo({ out: join(temp.dir, 'world'), identities: 8, seed: 6 });
    // Each call takes 60 ms, so a run lasts seconds and the signal lands mid-run.
    server = await startDemoMllmServer({ seed: 6, latencyMs: 60 });
    proxy = await startCountingProxy(server.url);
    total = (await readDataset(join(build.out, 'reid_raw.json'))).entries.length;
  });

  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    await temp?.cleanup();
  });

  const argsFor = (out: string) => ['caption', '--dataset', join(build.out, 'reid_raw.json'), '--out', out, '--mllm-url', proxy.url, '--mllm-model', DEMO_MLLM_MODEL, '--concurrency', '2'];
  const env = () => ({ CTGI_HOME: join(temp.dir, 'home') });

  it('resumes after SIGKILL without captioning any finished image again, and the output is complete', async () => {
    const out = join(temp.dir, 'kill', 'captions.json');
    proxy.reset();
    const killed = await runAndSignal(argsFor(out), env(), `${out}.turns.jsonl`, 4, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const doneBefore = doneKeys(`${out}.jobs.sqlite`);
    expect(doneBefore.length).toBeGreaterThanOrEqual(4);
    expect(doneBefore.length).toBeLessThan(total);

    proxy.reset();
    const resumed = await spawnCtgi([...argsFor(out), '--json'], env());
    expect(resumed.stderr).not.toContain('ctgi:');
    expect(resumed.code).toBe(0);
    // Exactly the images not committed before the kill were captioned (in-flight ones are redone).
    expect(proxy.captions()).toBe(total - doneBefore.length);
    expect(JSON.parse(resumed.stdout).thisRun).toMatchObject({ alreadyDone: doneBefore.length, captioned: total - doneBefore.length, failed: 0 });

    const output = await readDataset(out);
    expect(output.entries).toHaveLength(total);
    expect(output.entries.every((e) => e.captions.length === 1)).toBe(true);
    const logged = await loggedImages(`${out}.turns.jsonl`);
    expect(logged).toHaveLength(total);
    expect(new Set(logged).size).toBe(total);
  });

  it('finishes the images in flight on Ctrl-C, exits 130 with a sentence, and resumes', async () => {
    const out = join(temp.dir, 'sigint', 'captions.json');
    proxy.reset();
    const interrupted = await runAndSignal(argsFor(out), env(), `${out}.turns.jsonl`, 3, 'SIGINT');
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/Interrupted: \d+ of \d+ images are captioned and kept in .*; run the same command again to resume\./);
    const done = doneKeys(`${out}.jobs.sqlite`);
    // Images in flight at the signal were finished and committed, and every committed image is in the log.
    expect(done.length).toBeGreaterThanOrEqual(interrupted.seenAtSignal);
    expect(done.length).toBeLessThan(total);
    expect((await loggedImages(`${out}.turns.jsonl`)).sort()).toEqual([...done].sort());
    // Every caption request of the interrupted run belongs to an image it finished.
    expect(proxy.captions()).toBe(done.length);

    const resumed = await spawnCtgi(argsFor(out), env());
    expect(resumed.code).toBe(0);
    expect((await readDataset(out)).entries).toHaveLength(total);
  });
});
