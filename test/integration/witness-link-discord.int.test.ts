// The witness link from Discord: /witness inside a search thread answers ephemerally (the operator only),
// the witness answers on the page `ctgi serve` serves, and the answer appears in the thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import type { DiscordConfig } from '../../src/config/config.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/discord-bot.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { FAKE_APP_ID, FAKE_CHANNELS, FAKE_GUILD_ID, FAKE_ROLES, startFakeDiscord, type FakeDiscord, type FakeMember } from '../fakes/discord-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { WebClient } from '../helpers/web-http.js';

const TOKEN = 'fake-discord-token';
const ALICE: FakeMember = { id: '810000000000000001', username: 'alice', roles: [FAKE_ROLES.security] };
const BOB: FakeMember = { id: '810000000000000002', username: 'bob', roles: [FAKE_ROLES.security] };
const config: DiscordConfig = { token: TOKEN, applicationId: FAKE_APP_ID, allowedGuilds: [FAKE_GUILD_ID], allowedChannels: [FAKE_CHANNELS.allowed], allowedRoles: [FAKE_ROLES.security] };

describe('witness link from Discord (fake Discord)', () => {
  let home: Awaited<ReturnType<typeof makeTempDir>>;
  let fake: FakeDiscord;
  let service: ScriptedConversationService;
  let store: SqliteWitnessLinkStore;
  let web: WebServer;
  let bot: DiscordBot;
  const audit: AuditRecord[] = [];

  beforeAll(async () => {
    home = await makeTempDir('witness-discord');
    fake = await startFakeDiscord({ token: TOKEN });
    service = await ScriptedConversationService.create({ audit: { record: async (r) => void audit.push(r) } });
    store = SqliteWitnessLinkStore.open(`${home.dir}/witness-links.sqlite`);
    const links = new WitnessLinks({ store, service, audit: { record: async (r) => void audit.push(r) } });
    web = await startWebServer({ service, port: 0, witnessLinks: links, witnessRelayMs: 20 });
    bot = await startDiscordBot({ config, service, audit: { record: async (r) => void audit.push(r) }, log: () => undefined, restApi: fake.apiBase, witness: { links, publicUrl: web.url.replace(/\/$/, ''), relayMs: 20 } });
  });

  afterAll(async () => {
    await bot?.stop();
    await web?.close();
    await fake?.close();
    await store?.close();
    await service?.close();
    await home?.cleanup();
  });

  const linkIn = (text: string): string | undefined => /(http:\/\/\S+\/w\/[0-9a-f]{16}\.[A-Za-z0-9_-]{43})/.exec(text)?.[1];

  it('replies with the link ephemerally to the operator, and the witness\'s answers appear in the thread', async () => {
    const description = 'man with a grey hoodie';
    fake.sendCommand({ name: 'search', options: { description }, channelId: FAKE_CHANNELS.allowed, member: ALICE });
    const thread = await fake.waitFor(() => fake.threads.find((t) => t.name === `Search: ${description}`));
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.components.length > 0));

    // Bob may not hand Alice's search to a witness.
    const bobs = fake.sendCommand({ name: 'witness', options: {}, channelId: thread.id, member: BOB });
    const refusal = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === bobs && c.type === 4));
    expect(((refusal.data as { flags?: number }).flags ?? 0) & 64).toBe(64);
    expect(String((refusal.data as { content?: string }).content)).toContain('Only the person who started this search');

    const alices = fake.sendCommand({ name: 'witness', options: {}, channelId: thread.id, member: ALICE });
    const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === alices && c.type === 4));
    expect(((reply.data as { flags?: number }).flags ?? 0) & 64).toBe(64);
    const url = linkIn(String((reply.data as { content?: string }).content))!;
    expect(url).toBeDefined();
    // Nothing public carries the link.
    expect(fake.messages.some((m) => !m.ephemeral && /\/w\//.test(m.content))).toBe(false);

    const witness = new WebClient(web.url);
    const path = new URL(url).pathname;
    expect((await witness.get(path)).status).toBe(200);
    const view = (await witness.get(`${path}/api/state`)).json<{ question: { id: string; options: Array<{ value: string }> } }>();
    expect((await witness.post(`${path}/api/answer`, { text: "don't know", inReplyTo: `q:${view.question.id}` })).json()).toMatchObject({ status: 'accepted' });
    const said = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.content.includes('witness (link): Not sure')));
    expect(said.ephemeral).toBe(false);
    // The gallery the answer led to follows in the thread.
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.files.length > 0));
    expect(service.calls.filter((c) => c.method === 'answer').at(-1)!.user?.id).toMatch(/^witness-link:/);

    // Gallery shown on request, then revoked.
    const show = fake.sendCommand({ name: 'witness', options: { action: 'show-gallery' }, channelId: thread.id, member: ALICE });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === show && c.type === 4));
    expect((await witness.get(`${path}/api/state`)).json<{ gallery?: unknown }>().gallery).toBeDefined();
    const revoke = fake.sendCommand({ name: 'witness', options: { action: 'revoke' }, channelId: thread.id, member: ALICE });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === revoke && c.type === 4));
    expect((await witness.get(path)).status).toBe(410);
  });

  it('points to the search thread when used elsewhere', async () => {
    const id = fake.sendCommand({ name: 'witness', options: {}, channelId: FAKE_CHANNELS.allowed, member: ALICE });
    const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === id && c.type === 4));
    expect(String((reply.data as { content?: string }).content)).toContain('inside the search thread');
  });
});
