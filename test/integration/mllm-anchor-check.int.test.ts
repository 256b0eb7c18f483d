import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { checkAnchor } from '../../src/mllm/anchor-check.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { PROMPT_MARKERS } from '../../src/mllm/prompts.js';
import { okChat, startFaultMllmServer, type FaultMllmServer } from '../fakes/openai-fault-server.js';
import { RED, writePainted } from '../fixtures/images.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// checkAnchor against servers that answer the way real ones do: strict JSON, JSON with loose spellings,
// a plain "Yes." (the JSON request ignored), the wrong number of answers, and nonsense.

const QUESTIONS = ['What colour is the top?', 'Is there a bag?'];
const servers: FaultMllmServer[] = [];
let image: Buffer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await makeTempDir('anchor-check');
  cleanup = temp.cleanup;
  image = await readFile(await writePainted(join(temp.dir, 'p.png'), 32, 96, () => RED));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await cleanup();
});

async function answering(content: string): Promise<{ mllm: OpenAiMllm; server: FaultMllmServer }> {
  const server = await startFaultMllmServer(() => ({ json: okChat(content) }));
  servers.push(server);
  return { mllm: new OpenAiMllm({ baseUrl: server.url, model: 'm', maxRetries: 0 }), server };
}

describe('checkAnchor', () => {
  it('sends one request with the combined prompt, the image and the anchor_check schema', async () => {
    const { mllm, server } = await answering('{"match": "yes", "answers": ["red", "no bag"]}');
    expect(await checkAnchor(mllm, 'a man in red', QUESTIONS, image)).toEqual({ match: 'yes', answers: ['red', 'no bag'] });
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0].body as { messages: Array<{ role: string; content: unknown }>; response_format: { json_schema: { name: string } } };
    expect(body.response_format.json_schema.name).toBe('anchor_check');
    const user = body.messages.find((m) => m.role === 'user')!.content as Array<{ type: string; text?: string }>;
    expect(user[0].text).toContain(PROMPT_MARKERS.anchorCheck);
    expect(user.filter((p) => p.type === 'image_url')).toHaveLength(1);
  });

  it('reads loose spellings: "Yes." and booleans as the verdict, non-text answers as text', async () => {
    expect(await checkAnchor((await answering('{"match": "No.", "answers": ["red", null]}')).mllm, 'x', QUESTIONS, image)).toEqual({ match: 'no', answers: ['red', 'not visible'] });
    expect(await checkAnchor((await answering('```json\n{"match": true, "answers": ["red", false,],}\n```')).mllm, 'x', QUESTIONS, image)).toEqual({
      match: 'yes',
      answers: ['red', 'false'],
    });
  });

  it('pads missing answers with "not visible" and cuts extra ones', async () => {
    expect((await checkAnchor((await answering('{"match": "yes", "answers": ["red"]}')).mllm, 'x', QUESTIONS, image)).answers).toEqual(['red', 'not visible']);
    expect((await checkAnchor((await answering('{"match": "yes", "answers": ["a", "b", "c"]}')).mllm, 'x', QUESTIONS, image)).answers).toEqual(['a', 'b']);
    expect((await checkAnchor((await answering('{"match": "yes"}')).mllm, 'x', QUESTIONS, image)).answers).toEqual(['not visible', 'not visible']);
  });

  it('accepts a plain yes or no from a server that ignores the JSON request, with no answers', async () => {
    expect(await checkAnchor((await answering('Yes, that is the person described.')).mllm, 'x', QUESTIONS, image)).toEqual({ match: 'yes', answers: ['not visible', 'not visible'] });
    expect(await checkAnchor((await answering('No.')).mllm, 'x', [], image)).toEqual({ match: 'no', answers: [] });
  });

  it('fails with UPSTREAM_FAILED on nonsense, and on JSON whose verdict is neither yes nor no', async () => {
    for (const content of ['I am not sure what you mean.', '{"match": "maybe", "answers": ["No bag."]}', '']) {
      const err = await checkAnchor((await answering(content)).mllm, 'x', QUESTIONS, image).catch((e: unknown) => e);
      expect(isCtgiError(err, 'UPSTREAM_FAILED'), content).toBe(true);
      expect((err as Error).message).toMatch(/not the expected JSON/);
    }
  });
});
