// The witness-link flow over the real conversation service (demo world, demo MLLM over HTTP): the operator's
// refusals, one live link per conversation, the first browser binding the link, answers through the
// service's own answer path (the first wins), relayed to the thread, and links dying with the conversation.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from '../../agent/service/conversation-service.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';
import type { AuditRecord, BotEvent, ConversationService } from '../../src/conversation/conversation-types.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('witness links over the real conversation service', () => {
  let world: DemoWorldFixture;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let service: ConversationService;
  let store: SqliteWitnessLinkStore;
  let links: WitnessLinks;
  const audit: AuditRecord[] = [];
  const OPERATOR = { id: 'U0OP', name: 'operator' };

  beforeAll(async () => {
    world = await openDemoWorld('witness-links', { identities: 30, seed: 7 });
    temp = await makeTempDir('witness-links');
    service = createConversationService({
      deps: { gallery: world.gallery, textEncoder: new DemoTextEncoder(), mllm: world.mllm, reconstructor: world.mllm, options: DEFAULT_ROUND_OPTIONS, demo: true, witnessTimeoutSeconds: 120, readImage: world.readImage },
      checkpointFile: join(temp.dir, 'checkpoints.sqlite'),
      audit: { record: async (r) => void audit.push(r) },
    });
    store = SqliteWitnessLinkStore.open(join(temp.dir, 'witness-links.sqlite'));
    links = new WitnessLinks({ store, service, audit: { record: async (r) => void audit.push(r) } });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await service?.close();
    await world?.close();
    await temp?.cleanup();
  });

  const question = (events: BotEvent[]) => events.filter((e): e is Extract<BotEvent, { kind: 'question' }> => e.kind === 'question').at(-1);

  it('reports each conversation as none, active or done', async () => {
    const thread = 'slack:C1:100.1';
    expect(await service.status!(thread)).toBe('none');
    await service.start(thread, OPERATOR, world.build.world.identities[0]!.vagueQueries[0]!);
    expect(await service.status!(thread)).toBe('active');
    await service.answer(thread, OPERATOR, 'stop');
    expect(await service.status!(thread)).toBe('done');
  });

  it('refuses the operator before a search, for someone else\'s search and after the end', async () => {
    expect((await links.create('slack:C1:200.1', OPERATOR)).message).toContain('Start a search first');
    const thread = 'slack:C1:200.2';
    await service.start(thread, OPERATOR, world.build.world.identities[1]!.vagueQueries[0]!);
    const other = await links.create(thread, { id: 'U0OTHER' });
    expect(other).toMatchObject({ ok: false, message: 'Only the person who started this search can hand it to a witness.' });
    expect(other.token).toBeUndefined();
    expect(audit.some((r) => r.kind === 'refusal' && r.userId === 'U0OTHER' && r.thread === thread)).toBe(true);
    expect((await links.revoke(thread, OPERATOR)).message).toBe('This search has no live witness link.');
    await service.answer(thread, OPERATOR, 'stop');
    expect((await links.create(thread, OPERATOR)).message).toContain('This search is closed');
  });

  it('answers through the service as the link\'s user; the first answer wins; the link dies with the search', async () => {
    const thread = 'discord:D1:300';
    const started = await service.start(thread, OPERATOR, world.build.world.identities[2]!.vagueQueries[0]!);
    const q = question(started)!;
    expect(q).toBeDefined();
    const first = await links.create(thread, OPERATOR);
    const second = await links.create(thread, OPERATOR);
    expect((await links.open(first.token!, undefined)).ok).toBe(false); // one live link per conversation: the first is revoked

    // Two browsers at once: one binds, the other is refused.
    const [a, b] = await Promise.all([links.open(second.token!, undefined), links.open(second.token!, undefined)]);
    const winner = [a, b].find((o) => o.ok)!;
    expect([a, b].filter((o) => !o.ok)).toEqual([{ ok: false, refusal: 'in-use' }]);
    if (!winner.ok) throw new Error('unreachable');
    const again = await links.open(second.token!, winner.newBrowserSecret);
    expect(again.ok).toBe(true);

    const view = await links.view(winner.link);
    expect(view.question?.id).toBe(q.id);
    const option = q.options[0]!;
    const [x, y] = await Promise.all([links.answer(winner.link, option.value, `q:${q.id}`), links.answer(winner.link, q.options[1]!.value, `q:${q.id}`)]);
    expect([x.status, y.status].sort()).toEqual(['accepted', 'already-answered']);
    const relayed = await store.takeRelay('discord:');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.events[0]).toMatchObject({ kind: 'text', text: expect.stringMatching(/^witness \(link\): /) });
    const answers = audit.filter((r) => r.kind === 'answer' && r.thread === thread);
    expect(answers.map((r) => r.userName)).toEqual(['witness (link)']);

    // The operator may still answer or override; then the search ends and the link with it.
    await service.answer(thread, OPERATOR, 'stop');
    expect(await links.open(second.token!, winner.newBrowserSecret)).toEqual({ ok: false, refusal: 'closed' });
  });
});
