import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { startFakeHub, type FakeHub } from '../fakes/hub-server.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { runCli, spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { maxAbsDiff } from '../helpers/vectors.js';

let root: string;
let cleanup: () => Promise<void>;
let hub: FakeHub;
let hf: TinyClipInfo;
let immich: TinyClipInfo;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('pull-real'));
  hf = await writeTinyClipModel(join(root, 'served-hf'), { layout: 'hf', seed: 21 });
  immich = await writeTinyClipModel(join(root, 'served-immich'), { layout: 'immich', seed: 22 });
  hub = await startFakeHub({ repos: { 'Xenova/clip-vit-base-patch16': hf.dir, 'immich-app/ViT-B-16__openai': immich.dir } });
});
afterAll(async () => {
  await hub.close();
  await cleanup();
});

describe('model pull of a real (generated) model from a local hub', () => {
  it.each([
    ['clip-vit-b16', 'Xenova/clip-vit-base-patch16', () => hf],
    ['immich-clip-vit-b16', 'immich-app/ViT-B-16__openai', () => immich],
  ])('pulls %s into $CTGI_HOME/models and the pulled model embeds exactly like the served one', async (alias, repo, served) => {
    const home = join(root, `home-${alias}`);
    const r = await spawnCtgi(['model', 'pull', alias], { CTGI_HOME: home, HF_ENDPOINT: hub.url });
    expect(r.stderr).not.toMatch(/Internal error/);
    expect(r.code).toBe(0);
    const dir = r.stdout.trim();
    expect(dir).toBe(join(home, 'models', ...repo.split('/')));

    const info = await runCli(['model', 'info', dir, '--json']);
    expect(JSON.parse(info.stdout)).toMatchObject({ modelId: repo, layout: served().layout, contextLength: 77, dim: served().dim });

    const a = await OnnxClipTextEncoder.open(dir);
    const b = await OnnxClipTextEncoder.open(served().dir);
    try {
      const texts = ['a man with a grey backpack', 'a woman in a long red dress'];
      const va = await a.embedTexts(texts);
      const vb = await b.embedTexts(texts);
      va.forEach((v, i) => expect(maxAbsDiff(v, vb[i])).toBe(0));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
