import { join } from 'node:path';
import { buildDemo, type DemoBuild } from '../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { makeTempDir } from './temp-dir.js';
import { imageByIdReader } from '../../agent/round/image-readers.js';

/** A small demo world with its open gallery and the demo MLLM over HTTP, for MTI tests. */
export interface DemoWorldFixture {
  build: DemoBuild;
  gallery: Gallery;
  server: DemoMllmServer;
  /** The product's client for the demo MLLM. */
  mllm: OpenAiMllm;
  /** Gallery image id → the person it shows (ground truth). */
  personOf: Map<number, number>;
  readImage: (imageId: number) => Promise<Buffer>;
  /** Closes the gallery and the server and deletes the world. */
  close(): Promise<void>;
}

/** Builds a demo world of `identities` people in a temp dir and starts its demo MLLM. */
export async function openDemoWorld(name: string, options: { identities: number; seed: number; maxConcurrency?: number }): Promise<DemoWorldFixture> {
  const temp = await makeTempDir(name);
  const build = await buildDemo({ out: join(temp.dir, 'demo'), identities: options.identities, seed: options.seed });
  const gallery = await openGallery(build.indexDir);
  const server = await startDemoMllmServer({ seed: options.seed });
  const mllm = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 10_000, ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}) });
  const { ids } = await gallery.loadEmbeddings();
  const personOf = new Map([...(await gallery.getMany(ids))].map(([id, r]) => [id, Number(r.personId)]));
  return {
    build,
    gallery,
    server,
    mllm,
    personOf,
    readImage: imageByIdReader(gallery),
    async close() {
      await gallery.close({ save: false });
      await server.close();
      await temp.cleanup();
    },
  };
}
