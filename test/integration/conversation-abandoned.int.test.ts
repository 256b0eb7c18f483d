import { join } from 'node:path';
import { Command, MemorySaver } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CountingMllm } from '../../agent/eval/counting-mllm.js';
import { compileDialogue, GALLERY_REMINDER, initialDialogue, TIMED_OUT, type DialogueDeps } from '../../agent/graph/dialogue-graph.js';
import { createConversationService } from '../../agent/service/conversation-service.js';
import type { BotEvent, BotEvents } from '../../src/conversation/conversation-types.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';

// Abandoned conversations: a witness who stops answering costs nothing more. Unanswered questions are
// skipped and the round reaches its gallery; an unanswered gallery gets one reminder and the dialogue then
// waits for a human, with no further rounds (no MLLM calls nobody asked for).

describe('an abandoned conversation', () => {
  let world: DemoWorldFixture;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    world = await openDemoWorld('abandoned', { identities: 12, seed: 3 });
    temp = await makeTempDir('abandoned-checkpoints');
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await temp?.cleanup();
  });

  const deps = (mllm: CountingMllm, timeoutSeconds: number): DialogueDeps => ({
    gallery: world.gallery,
    textEncoder: new DemoTextEncoder(),
    mllm,
    reconstructor: mllm,
    options: DEFAULT_ROUND_OPTIONS,
    demo: true,
    witnessTimeoutSeconds: timeoutSeconds,
    readImage: world.readImage,
  });
  const reminders = (events: readonly BotEvent[]) => events.filter((e) => e.kind === 'text' && e.text === GALLERY_REMINDER).length;

  it('the graph: a gallery resumed with "no answer" reminds once and stays put; a timed-out question is still skipped', async () => {
    const mllm = new CountingMllm(world.mllm);
    const graph = compileDialogue(deps(mllm, 120), new MemorySaver());
    const config = { configurable: { thread_id: 'test:abandoned:graph' } };
    const pendingOf = async () => (await graph.getState(config)).tasks.flatMap((t) => t.interrupts ?? [])[0]?.value as BotEvent | undefined;
    await graph.invoke(initialDialogue(world.build.world.identities[0].vagueQueries[0]), config);
    let pending = await pendingOf();
    let questions = 0;
    for (; pending?.kind === 'question' && questions < 10; questions++) {
      await graph.invoke(new Command({ resume: TIMED_OUT }), config);
      pending = await pendingOf();
    }
    expect(questions).toBeGreaterThan(0);
    expect(pending).toMatchObject({ kind: 'gallery', round: 1 });
    const calls = mllm.calls;
    const outbox = () => graph.getState(config).then((s) => s.values.outbox as BotEvent[]);
    const before = (await outbox()).length;
    for (let i = 0; i < 3; i++) await graph.invoke(new Command({ resume: TIMED_OUT }), config);
    expect(mllm.calls).toBe(calls);
    expect(await pendingOf()).toEqual(pending);
    expect(reminders((await outbox()).slice(before))).toBe(1);
    // A human's "refine" starts the next round as before, and its gallery may remind again.
    await graph.invoke(new Command({ resume: 'refine' }), config);
    expect(mllm.calls).toBeGreaterThan(calls);
  }, 60_000);

  it('the service: questions and the gallery time out, one reminder is pushed, and no further MLLM call is made', async () => {
    const mllm = new CountingMllm(world.mllm);
    const errors: string[] = [];
    const service = createConversationService({ deps: deps(mllm, 0.3), checkpointFile: join(temp.dir, 'service.sqlite'), logError: (m) => errors.push(m) });
    const pushed: BotEvents = [];
    service.onEvents((_thread, events) => pushed.push(...events));
    const thread = 'web:abandoned:c1';
    try {
      await service.start(thread, { id: 'U1' }, world.build.world.identities[1].vagueQueries[0]);
      // Nobody answers: the questions time out one by one, the round's gallery follows, then its reminder.
      await vi.waitFor(() => expect(reminders(pushed)).toBe(1), { timeout: 20_000, interval: 100 });
      const calls = mllm.calls;
      const gallery = (await service.pending(thread)).at(-1);
      expect(gallery).toMatchObject({ kind: 'gallery', round: 1 });
      // Many timeouts' worth of silence later: nothing more was said or spent.
      const said = pushed.length;
      await new Promise((r) => setTimeout(r, 2_000));
      expect(pushed.length).toBe(said);
      expect(reminders(pushed)).toBe(1);
      expect(mllm.calls).toBe(calls);
      expect((await service.pending(thread)).at(-1)).toEqual(gallery);
      // The witness comes back: the dialogue goes on from the gallery.
      const next = await service.answer(thread, { id: 'U1' }, 'refine');
      expect(next.at(-1)?.kind).toMatch(/question|gallery/);
      expect(mllm.calls).toBeGreaterThan(calls);
      expect(errors).toEqual([]);
    } finally {
      await service.close();
    }
  }, 60_000);
});
