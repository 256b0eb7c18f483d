import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, writeDataset } from '../../src/datasets/dataset-io.js';
import { buildDemo, type DemoBuild } from '../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { PROMPT_MARKERS } from '../../src/mllm/prompts.js';
import { findClipBpeGz } from '../fixtures/clip-bpe-vocab.js';
import { runCli, spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const REFUSAL = "I'm sorry, but I can't help with identifying people in images.";

/**
 * A proxy in front of the demo MLLM that counts requests and injects faults: the `refuseCaption`-th
 * caption request gets a refusal, and every `failEvery`-th request an HTTP 503 (which the client retries).
 */
async function startProxy(target: string, faults: { refuseCaption?: number; failEvery?: number } = {}) {
  const upstream = new URL(target);
  const counts = { requests: 0, captions: 0, failed: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const n = ++counts.requests;
      if (faults.failEvery && n % faults.failEvery === 0) {
        counts.failed++;
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
        return;
      }
      const isCaption = body.includes(PROMPT_MARKERS.caption) && !body.includes(PROMPT_MARKERS.reconstruction);
      if (isCaption && ++counts.captions === faults.refuseCaption) {
        const reply = { id: 'x', object: 'chat.completion', created: 0, model: DEMO_MLLM_MODEL, choices: [{ index: 0, message: { role: 'assistant', content: REFUSAL }, finish_reason: 'stop' }] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, counts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('ctgi caption against the demo MLLM over HTTP', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let build: DemoBuild;
  let server: DemoMllmServer;
  const vocab = findClipBpeGz();

  beforeAll(async () => {
    temp = await makeTempDir('mtg-cli');
    build = await buildDemo({ out: join(temp.dir, 'world'), identities: 5, seed: 4 });
    server = await startDemoMllmServer({ seed: 4 });
  });

  afterAll(async () => {
    await server?.close();
    await temp?.cleanup();
  });

  it('captions a dataset in its own format, logs every turn, summarises, and fills the gallery answer cache', async () => {
    const dataset = join(build.out, 'reid_raw.json');
    const out = join(temp.dir, 'out', 'captions.json');
    const args = ['caption', '--dataset', dataset, '--out', out, '--index', build.indexDir, '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL, '--concurrency', '3', '--json'];
    if (vocab) args.push('--vocab', vocab);
    const run = await runCli(args);
    expect(run.stderr).not.toContain('ctgi:');
    expect(run.code).toBe(0);

    const input = await readDataset(dataset);
    const output = await readDataset(out);
    expect(output.format).toBe('cuhk-pedes');
    expect(output.entries.map((e) => [e.id, e.split, e.imagePath])).toEqual(input.entries.map((e) => [e.id, e.split, e.imagePath]));
    for (const entry of output.entries) {
      expect(entry.captions).toHaveLength(1);
      expect(entry.captions[0]).toMatch(/^A (man|woman) with /);
    }

    const lines = (await readFile(`${out}.turns.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const images = new Set(lines.map((l) => l.image));
    expect(images.size).toBe(input.entries.length);
    for (const image of images) {
      const mine = lines.filter((l) => l.image === image);
      expect(mine[0]).toMatchObject({ kind: 'caption', round: 0, kept: true });
      expect(mine.filter((l) => l.kind === 'caption')).toHaveLength(1);
      for (const l of mine) {
        expect(typeof l.latencyMs).toBe('number');
        expect(l.tokens).toMatchObject({ prompt: expect.any(Number), completion: expect.any(Number) });
      }
    }

    const summary = JSON.parse(await readFile(`${out}.summary.json`, 'utf8'));
    expect(JSON.parse(run.stdout)).toEqual(summary);
    expect(summary).toMatchObject({ images: input.entries.length, captioned: input.entries.length, failed: 0, format: 'cuhk-pedes' });
    expect(summary.captions.over77).toBeGreaterThanOrEqual(0);
    expect(summary.totalTokens).toBe(lines.reduce((n, l) => n + (l.tokens as { prompt: number; completion: number }).prompt + (l.tokens as { prompt: number; completion: number }).completion, 0));
    if (vocab) expect(summary.tokenizer).toContain('CLIP BPE');
    else expect(summary.tokenizer).toContain('words + 2');

    const index = await openGallery(build.indexDir);
    try {
      const { ids } = await index.loadEmbeddings();
      const answers = await index.attributeAnswers(ids);
      const captions = await index.captionsOf(ids);
      const records = await index.getMany(ids);
      expect(answers.size).toBe(ids.length);
      for (const id of ids) {
        const record = records.get(id)!;
        const written = output.entries.find((e) => e.imagePath === record.path)!.captions[0];
        expect(captions.get(id)!.filter((c) => c.source === 'mtg').map((c) => c.text)).toEqual([written]);
        // The demo world's true attributes of this person, independently of the MLLM.
        const truth = build.world.identities.find((p) => String(p.id) === record.personId)!.attributes;
        const gender = answers.get(id)!.find((a) => a.attribute === 'gender');
        expect(gender?.answer.toLowerCase()).toContain(truth.gender === 'man' ? 'man' : 'woman');
      }
    } finally {
      index.close({ save: false });
    }

    // A second run has nothing left to do and writes the same file.
    const before = await readFile(out, 'utf8');
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).thisRun).toMatchObject({ captioned: 0, alreadyDone: input.entries.length });
    expect(await readFile(out, 'utf8')).toBe(before);
    expect((await readFile(`${out}.turns.jsonl`, 'utf8')).trim().split('\n')).toHaveLength(lines.length);
  });

  it('writes RSTPReid input back as RSTPReid, and a bare folder in CUHK-PEDES style', async () => {
    const input = await readDataset(join(build.out, 'reid_raw.json'));
    const rstp = join(temp.dir, 'rstp', 'data_captions.json');
    await writeDataset(rstp, { format: 'rstpreid', entries: input.entries.slice(0, 3).map((e) => ({ ...e, id: `p${e.id}`, split: 'train', extra: {} })) });
    const out = join(temp.dir, 'rstp-out.json');
    const run = await runCli(['caption', '--dataset', rstp, '--images-root', build.out, '--out', out, '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL, '--rounds', '2']);
    expect(run.code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toContain('"img_path"');
    const back = await readDataset(out);
    expect(back.format).toBe('rstpreid');
    expect(back.entries.map((e) => e.id)).toEqual(input.entries.slice(0, 3).map((e) => `p${e.id}`));
    expect(run.stdout).toContain('Captioned 3 of 3 images');

    const folder = join(temp.dir, 'folder');
    await mkdir(join(folder, 'cam1'), { recursive: true });
    await copyFile(join(build.out, input.entries[0].imagePath), join(folder, 'cam1', 'a.png'));
    await copyFile(join(build.out, input.entries[1].imagePath), join(folder, 'b.png'));
    const folderOut = join(temp.dir, 'folder-out.json');
    const folderRun = await runCli(['caption', '--images', folder, '--out', folderOut, '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL]);
    expect(folderRun.code).toBe(0);
    const written = await readDataset(folderOut);
    expect(written.format).toBe('cuhk-pedes');
    expect(written.entries.map((e) => [e.id, e.split, e.imagePath])).toEqual([
      [1, 'train', 'b.png'],
      [2, 'train', 'cam1/a.png'],
    ]);
  });

  it('logs and skips an unreadable image and a refused caption, retries 503s, and finishes the job (real process)', async () => {
    const folder = join(temp.dir, 'faulty');
    await mkdir(folder, { recursive: true });
    const input = await readDataset(join(build.out, 'reid_raw.json'));
    for (let i = 0; i < 5; i++) await copyFile(join(build.out, input.entries[i].imagePath), join(folder, `img${i}.png`));
    await writeFile(join(folder, 'broken.png'), Buffer.from('this is not a png'));
    const proxy = await startProxy(server.url, { refuseCaption: 2, failEvery: 7 });
    try {
      const out = join(temp.dir, 'faulty-out.json');
      const run = await spawnCtgi(['caption', '--images', folder, '--out', out, '--mllm-url', proxy.url, '--mllm-model', DEMO_MLLM_MODEL, '--concurrency', '1', '--json'], {
        CTGI_HOME: join(temp.dir, 'home'),
        CTGI_MLLM_MAX_RETRIES: '2',
      });
      expect(run.stderr).not.toContain('ctgi:');
      expect(run.code).toBe(0);
      expect(proxy.counts.failed).toBeGreaterThan(0);
      expect(run.stderr).toMatch(/skipped broken\.png: unreadable image/);
      expect(run.stderr).toMatch(/skipped img\d\.png: the MLLM refused to describe the image/);
      const summary = JSON.parse(run.stdout);
      expect(summary).toMatchObject({ images: 6, captioned: 4, failed: 2 });
      expect((await readDataset(out)).entries).toHaveLength(4);
      const log = (await readFile(`${out}.turns.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(log.find((l) => l.image === 'broken.png')).toMatchObject({ status: 'failed', kind: 'skip' });
      expect(log.find((l) => l.status === 'failed' && l.kind === 'caption')).toMatchObject({ answer: REFUSAL, kept: false, reason: 'refused' });
    } finally {
      await proxy.close();
    }
  });

  it('refuses bad arguments with one sentence', async () => {
    const none = await runCli(['caption', '--out', join(temp.dir, 'x.json'), '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Give exactly one of --images DIR or --dataset FILE.');
    const other = await runCli(['caption', '--images', build.out, '--out', join(temp.dir, 'out', 'captions.json'), '--rounds', '3', '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/belongs to a run with other settings/);
  });
});
