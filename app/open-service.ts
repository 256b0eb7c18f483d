import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../src/config/config.js';
import { buildDemo } from '../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer } from '../src/demo/demo-mllm-server.js';
import type { Gallery } from '../src/gallery/gallery.js';
import { galleryRef, openGallery } from '../src/gallery/open-gallery.js';
import { openLlmClients } from '../src/mllm/open-clients.js';
import { OpenAiMllm } from '../src/mllm/openai-chat.js';
import type { Mllm } from '../src/mllm/mllm.js';
import { openTextEncoder } from '../src/models/open-encoders.js';
import { galleryEvidence } from '../agent/round/cached-evidence.js';
import { createConversationService } from '../agent/service/conversation-service.js';
import type { AuditSink, ConversationService } from '../src/conversation/conversation-types.js';
import { DEFAULT_ROUND_OPTIONS } from '../agent/round/round-options.js';
import { imageByIdReader } from '../agent/round/image-readers.js';

export interface OpenServiceOptions {
  config: Config;
  /** Gallery index directory (with `config.database`: a gallery name); default `config.conversation.indexDir`; neither → the demo world. */
  indexDir?: string;
  audit?: AuditSink;
  /** Progress while the demo world is built on first start. */
  onProgress?: (message: string, fraction?: number) => void;
  /** Identities in the demo world (default 500). */
  demoIdentities?: number;
  /** Checkpoint file (default `config.conversation.checkpointFile`). */
  checkpointFile?: string;
}

/**
 * Opens the conversation service over the configured gallery and models. With no gallery configured it
 * builds (first start) or reuses the synthetic demo world under `<CTGI_HOME>/demo`, and — unless an MLLM is
 * configured — answers image questions with the demo MLLM on a loopback port; `service.demo` is then true.
 * @throws CtgiError when the gallery or model cannot be opened.
 */
export async function openConversationService(options: OpenServiceOptions): Promise<ConversationService> {
  const { config } = options;
  const indexDir = options.indexDir ?? config.conversation.indexDir;
  const closers: Array<() => Promise<void> | void> = [];
  try {
    let galleryDir: string;
    let modelDir: string | undefined;
    let demoMllm: Mllm | undefined;
    if (indexDir) {
      galleryDir = indexDir;
    } else {
      const out = join(config.home, 'demo');
      options.onProgress?.(`Opening the demo world in ${out} (synthetic people; built on first start only)…`, 0);
      const build = await buildDemo({
        out,
        identities: options.demoIdentities ?? 500,
        onProgress: (phase, done, total) => options.onProgress?.(phase === 'render' ? 'Rendering demo people' : 'Indexing demo images', total > 0 ? done / total : undefined),
      });
      galleryDir = build.indexDir;
      modelDir = build.modelDir;
      if (!config.mllm) {
        const server = await startDemoMllmServer({ seed: build.world.seed });
        closers.push(() => server.close());
        demoMllm = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 1, timeoutMs: 30_000, maxConcurrency: config.mllmConcurrency });
      }
    }
    // With a shared database the configured index names a gallery in it; the demo world is always a folder.
    const gallery = await openGallery(indexDir ? galleryRef(galleryDir, config.database) : galleryDir);
    closers.push(() => gallery.close({ save: false }));
    const textEncoder = await openTextEncoder(modelDir ?? gallery.manifest.model.dir);
    closers.push(() => textEncoder.close());
    const clients = openLlmClients(config);
    const mllm = clients.mllm ?? demoMllm;
    const reconstructor = clients.reconstructor ?? demoMllm;
    const checkpointFile = options.checkpointFile ?? config.conversation.checkpointFile;
    await mkdir(dirname(checkpointFile), { recursive: true });
    const demo = !indexDir;
    return createConversationService({
      deps: {
        gallery,
        textEncoder,
        ...(mllm ? { mllm } : {}),
        ...(reconstructor ? { reconstructor } : {}),
        cachedEvidence: galleryEvidence(gallery),
        options: { ...DEFAULT_ROUND_OPTIONS, witnessPerRound: config.conversation.witnessQuestionsPerRound, ...(config.conversation.lambda !== undefined ? { lambda: config.conversation.lambda } : {}) },
        readImage: imageByIdReader(gallery),
        demo,
        witnessTimeoutSeconds: config.conversation.witnessTimeoutSeconds,
      },
      checkpointFile,
      retentionDays: config.conversation.retentionDays,
      ...(options.audit ? { audit: options.audit } : {}),
      onClose: async () => {
        for (const close of closers.reverse()) await close();
      },
    });
  } catch (err) {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw err;
  }
}
