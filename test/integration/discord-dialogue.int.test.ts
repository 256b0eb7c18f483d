import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/discord-bot.js';
import { registerDiscordCommands } from '../../bots/discord/discord-commands.js';
import { customIdFor, parseCustomId } from '../../bots/discord/discord-custom-id.js';
import { questionBody } from '../../bots/discord/discord-renderer.js';
import type { DiscordConfig } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { decodeRgb, type RgbImage } from '../../src/vision/rgb-decode.js';
import { FAKE_APP_ID, FAKE_CHANNELS, FAKE_GUILD_ID, FAKE_ROLES, MESSAGE_CONTENT_INTENT, startFakeDiscord, type FakeDiscord, type FakeMessage, type FakeMember } from '../fakes/discord-server.js';
import { colourOf, ScriptedConversationService } from '../fakes/scripted-conversation-service.js';

// A real discord.js client against the local fake Discord (REST + JSON gateway), over the scripted service.

const TOKEN = 'fake-discord-token';
const ALICE: FakeMember = { id: '810000000000000001', username: 'alice', roles: [FAKE_ROLES.security] };
const BOB: FakeMember = { id: '810000000000000002', username: 'bob', roles: [FAKE_ROLES.security] };
const VISITOR: FakeMember = { id: '810000000000000003', username: 'visitor', roles: [FAKE_ROLES.visitor] };

interface Row {
  type: number;
  components: Array<{ type: number; label: string; custom_id: string; style: number; disabled?: boolean }>;
}

const config: DiscordConfig = {
  token: TOKEN,
  applicationId: FAKE_APP_ID,
  allowedGuilds: [FAKE_GUILD_ID],
  allowedChannels: [FAKE_CHANNELS.allowed],
  allowedRoles: [FAKE_ROLES.security],
};

function rows(m: FakeMessage): Row[] {
  return m.components as Row[];
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

describe('Discord bot (fake Discord)', () => {
  let fake: FakeDiscord;
  let service: ScriptedConversationService;
  let bot: DiscordBot;
  const audit: AuditRecord[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
    service = await ScriptedConversationService.create({ audit: { record: async (r) => void audit.push(r) } });
    // Generous limits here: the rate limits have their own test below.
    const limits = { starts: { concurrent: 10, perWindow: 100 }, answers: { concurrent: 10, perWindow: 100 } };
    bot = await startDiscordBot({ config, service, audit: { record: async (r) => void audit.push(r) }, log: (l) => logs.push(l), restApi: fake.apiBase, limits });
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await service?.close();
  });

  /** Starts a search as `member` and returns its thread and first question. */
  async function search(description: string, member: FakeMember): Promise<{ interaction: string; threadId: string; question: FakeMessage }> {
    const interaction = fake.sendCommand({ name: 'search', options: { description }, channelId: FAKE_CHANNELS.allowed, member });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === interaction && c.type === 5));
    const thread = await fake.waitFor(() => fake.threads.find((t) => t.name === `Search: ${description}`));
    const question = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.components.length > 0));
    return { interaction, threadId: thread.id, question };
  }

  it('connects with the intents it needs over the JSON gateway', async () => {
    expect(bot.messageContent).toBe(true);
    expect(fake.identifies).toHaveLength(1);
    const intents = fake.identifies[0].intents;
    expect(intents & 1).toBe(1); // Guilds
    expect(intents & (1 << 9)).toBe(1 << 9); // GuildMessages
    expect(intents & MESSAGE_CONTENT_INTENT).toBe(MESSAGE_CONTENT_INTENT);
    // The client keeps the connection alive: heartbeats are sent and acknowledged.
    await fake.waitFor(() => fake.heartbeats > 0);
  });

  it('runs a whole dialogue from /search: deferred reply, thread, buttons, gallery with sheet and images, pick', async () => {
    const { interaction, threadId, question } = await search('woman in a red coat', ALICE);
    const thread = `discord:${FAKE_CHANNELS.allowed}:${threadId}`;

    // The deferred reply became the thread's starter message in the channel.
    const starter = fake.messages.find((m) => m.channel_id === FAKE_CHANNELS.allowed && m.content.includes('started a person search'))!;
    expect(fake.threads.find((t) => t.id === threadId)!.message_id).toBe(starter.id);
    expect(fake.callbacks.filter((c) => c.interactionId === interaction).map((c) => c.type)).toEqual([5]);

    expect(question.content).toContain('**Was the person carrying a bag?**');
    expect(question.content).toContain('type your answer');
    const buttons = rows(question).flatMap((r) => r.components);
    expect(buttons.map((b) => [b.label, b.custom_id])).toEqual([['Yes', 'ctgi:q:q1:0:yes'], ['No', 'ctgi:q:q1:1:no'], ['Not sure', "ctgi:q:q1:2:don't know"]]);
    expect(service.calls.find((c) => c.method === 'start')).toMatchObject({ thread, user: { id: ALICE.id, name: 'alice' }, text: 'woman in a red coat' });

    // Click "No": the callback (type 7) disables the buttons at once; once answered they give way to who answered.
    const click = fake.clickButton({ message: question, customId: 'ctgi:q:q1:1:no', member: ALICE });
    const update = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === click));
    expect(update.type).toBe(7);
    expect((update.data!.components as Row[]).flatMap((r) => r.components).map((b) => b.disabled)).toEqual([true, true, true]);
    await fake.waitFor(() => question.content.includes(`<@${ALICE.id}> answered **No**`));
    expect(question.components).toEqual([]);
    expect(service.calls.filter((c) => c.method === 'answer' && c.thread === thread).at(-1)).toMatchObject({ text: 'no', inReplyTo: 'q:q1' });

    // The gallery: ten full images in one message, then the contact sheet with the ranked list and buttons.
    const sheetMessage = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.files.some((f) => f.name.startsWith('ctgi-gallery'))));
    const imagesMessage = fake.messages.find((m) => m.channel_id === threadId && m.files.length === 10)!;
    expect(fake.messages.indexOf(imagesMessage)).toBeLessThan(fake.messages.indexOf(sheetMessage));
    const ids = service.galleryIds(0);
    for (let k = 0; k < 10; k++) {
      expect(imagesMessage.files[k].name).toBe(`rank-${String(k + 1).padStart(2, '0')}-image-${ids[k]}.png`);
      expect(imagesMessage.files[k].bytes.equals(await readFile(service.imagePath(ids[k])))).toBe(true);
    }
    expect(sheetMessage.files).toHaveLength(1);
    expect(sheetMessage.files[0].contentType).toBe('image/png');
    const sheet = await decodeRgb(sheetMessage.files[0].bytes, 'sheet');
    expect([sheet.width, sheet.height]).toEqual([848, 724]);
    for (const k of [0, 3, 7, 9]) {
      const [r, g, b] = pixel(sheet, 8 + (k % 5) * 168 + 80, 8 + Math.floor(k / 5) * 358 + 160);
      const want = colourOf(ids[k]);
      expect(Math.abs(r - want[0]) + Math.abs(g - want[1]) + Math.abs(b - want[2])).toBeLessThanOrEqual(6);
    }
    const galleryRows = rows(sheetMessage);
    expect(galleryRows.map((r) => r.components.map((c) => c.label))).toEqual([
      ['#1', '#2', '#3', '#4', '#5'],
      ['#6', '#7', '#8', '#9', '#10'],
      ['None of these', 'Refine', 'Done', 'By time', 'Export'],
    ]);
    expect(sheetMessage.content).toContain('**#1**');

    // Press #3.
    const pick = fake.clickButton({ message: sheetMessage, customId: galleryRows[0].components[2].custom_id, member: ALICE });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === pick));
    const done = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.content.includes('Confirmed')));
    expect(done.content).toContain(`image ${ids[2]}`);

    // Nothing but the starter went into the channel itself; the audit trail holds the whole dialogue.
    expect(fake.messages.filter((m) => m.channel_id === FAKE_CHANNELS.allowed)).toEqual([starter]);
    expect(audit.filter((r) => r.thread === thread).map((r) => r.kind)).toEqual(['description', 'question', 'answer', 'gallery', 'answer', 'done']);
    expect(service.calls.filter((c) => c.method === 'answer' && c.thread === thread).map((c) => c.text)).toEqual(['no', '#3 is them']);
  });

  it("sends the gallery's Export button to the service as the owner's action, and posts the gallery again", async () => {
    const { threadId } = await search('man in a blue cap', BOB);
    const thread = `discord:${FAKE_CHANNELS.allowed}:${threadId}`;
    fake.sendMessage({ channelId: threadId, content: 'no', member: BOB });
    const isSheet = (m: FakeMessage) => m.channel_id === threadId && m.files.some((f) => f.name.startsWith('ctgi-gallery'));
    const sheet = await fake.waitFor(() => fake.messages.find(isSheet));
    const exportButton = rows(sheet).flatMap((r) => r.components).find((b) => b.label === 'Export')!;
    const click = fake.clickButton({ message: sheet, customId: exportButton.custom_id, member: BOB });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === click));
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.content.includes('Action export noted')));
    expect(service.calls.filter((c) => c.method === 'act' && c.thread === thread).map((c) => [c.user?.id, c.action])).toEqual([[BOB.id, { kind: 'export' }]]);
    // The pressed gallery's buttons were retired; the gallery comes again with live ones.
    await fake.waitFor(() => (fake.messages.filter(isSheet).length === 2 ? true : undefined));
  });

  it('takes typed replies in the thread as answers and ignores its own messages', async () => {
    const { threadId } = await search('man with a grey hoodie', BOB);
    const thread = `discord:${FAKE_CHANNELS.allowed}:${threadId}`;
    fake.sendMessage({ channelId: threadId, content: 'Yes, a black backpack', member: BOB });
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.files.some((f) => f.name.startsWith('ctgi-gallery'))));
    // The bot's own posts were echoed back over the gateway (MESSAGE_CREATE) and must not count as answers.
    expect(service.calls.filter((c) => c.method === 'answer' && c.thread === thread).map((c) => c.text)).toEqual(['Yes, a black backpack']);
  });

  it('says which permissions are missing when it cannot open a thread', async () => {
    fake.faults.denyThreads = true;
    try {
      const interaction = fake.sendCommand({ name: 'search', options: { description: 'girl on a bicycle' }, channelId: FAKE_CHANNELS.allowed, member: ALICE });
      await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === interaction && c.type === 5));
      const reply = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === FAKE_CHANNELS.allowed && m.content.includes('Create Public Threads')));
      expect(reply.content).toMatch(/^⚠️ The bot lacks a permission here/);
      expect(service.calls.some((c) => c.text === 'girl on a bicycle')).toBe(false);
    } finally {
      fake.faults.denyThreads = false;
    }
  });

  it('refuses outside the allow-list: ephemeral sentence, no thread, no image, audit rows', async () => {
    const threadsBefore = fake.threads.length;
    const filesBefore = fake.messages.filter((m) => m.files.length > 0).length;

    const wrongChannel = fake.sendCommand({ name: 'search', options: { description: 'anyone at all' }, channelId: FAKE_CHANNELS.other, member: ALICE });
    const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === wrongChannel));
    expect(reply.type).toBe(4);
    expect(reply.data!.flags).toBe(64);
    expect(String(reply.data!.content)).toMatch(/^Sorry, [^.]+\.$/);

    const wrongRole = fake.sendCommand({ name: 'search', options: { description: 'my neighbour' }, channelId: FAKE_CHANNELS.allowed, member: VISITOR });
    const roleReply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === wrongRole));
    expect(roleReply).toMatchObject({ type: 4, data: { flags: 64 } });

    // A visitor pressing a button in someone else's search thread gets the refusal too.
    const { threadId, question } = await search('tall man, red cap', ALICE);
    const click = fake.clickButton({ message: question, customId: 'ctgi:q:q1:0:yes', member: VISITOR });
    const clickReply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === click));
    expect(clickReply).toMatchObject({ type: 4, data: { flags: 64 } });

    expect(fake.threads.length).toBe(threadsBefore + 1);
    expect(fake.messages.filter((m) => m.files.length > 0).length).toBe(filesBefore);
    expect(service.calls.some((c) => c.user?.id === VISITOR.id)).toBe(false);
    expect(service.calls.some((c) => c.text === 'anyone at all')).toBe(false);
    const refusals = audit.filter((r) => r.kind === 'refusal');
    expect(refusals.map((r) => [r.userId, r.thread])).toEqual([
      [ALICE.id, `discord:${FAKE_CHANNELS.other}:-`],
      [VISITOR.id, `discord:${FAKE_CHANNELS.allowed}:-`],
      [VISITOR.id, `discord:${FAKE_CHANNELS.allowed}:${threadId}`],
    ]);
    expect(refusals[1].text).toContain('role');
  });
  it("refuses a stale button: question 1 answered by typing, then question 1's button → notice, buttons disabled, nothing recorded", async () => {
    const { threadId, question } = await search('man in a long brown coat', ALICE);
    const thread = `discord:${FAKE_CHANNELS.allowed}:${threadId}`;
    fake.sendMessage({ channelId: threadId, content: 'Yes', member: ALICE });
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.files.some((f) => f.name.startsWith('ctgi-gallery'))));
    // The typed answer made question 1's buttons out of date: they are disabled without anyone pressing them.
    await fake.waitFor(() => rows(question).flatMap((r) => r.components).every((b) => b.disabled));
    const recorded = audit.filter((r) => r.thread === thread).length;
    // A click that raced the update (or a client that ignores "disabled") is refused all the same.
    const no = rows(question)[0].components[1];
    fake.clickButton({ message: question, customId: no.custom_id, member: ALICE });
    const notice = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.content.includes('belongs to an earlier question')));
    expect(notice.content).toBe('ℹ️ That button belongs to an earlier question; answer the current one.');
    expect(rows(question).flatMap((r) => r.components).map((b) => b.disabled)).toEqual([true, true, true]);
    expect(question.content).not.toContain('answered');
    // Nothing was recorded as an answer to what is pending now (the gallery): only the refusal.
    expect(audit.filter((r) => r.thread === thread).slice(recorded).map((r) => r.kind)).toEqual(['refusal']);
    expect((await service.pending(thread)).map((e) => e.kind)).toEqual(['gallery']);
  });

  it('answers a forged or unknown button id with an ephemeral sentence, logs it, and calls nothing', async () => {
    const { question } = await search('woman with a green umbrella', BOB);
    const answers = service.calls.filter((c) => c.method === 'answer').length;
    for (const customId of ['ctgi:q:q1:7:drop everything', 'not-ours', 'ctgi:0:yes']) {
      const click = fake.clickButton({ message: question, customId, member: BOB });
      const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === click));
      expect(reply).toMatchObject({ type: 4, data: { flags: 64, content: 'This button is not valid.' } });
    }
    expect(service.calls.filter((c) => c.method === 'answer')).toHaveLength(answers);
    expect(logs.filter((l) => l.includes('unknown custom id'))).toHaveLength(3);
    expect(logs.some((l) => l.includes('TypeError'))).toBe(false);
  });

  it("keeps a search thread its starter's: another member's /search there is refused, the owner may restart", async () => {
    const { threadId } = await search('boy with a skateboard', ALICE);
    const thread = `discord:${FAKE_CHANNELS.allowed}:${threadId}`;
    const starts = service.calls.filter((c) => c.method === 'start').length;
    const hijack = fake.sendCommand({ name: 'search', options: { description: 'my own thing' }, channelId: threadId, member: BOB });
    const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === hijack));
    expect(reply).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(String(reply.data!.content)).toBe(`This search belongs to <@${ALICE.id}>. Start your own with /search in the channel.`);
    expect(service.calls.filter((c) => c.method === 'start')).toHaveLength(starts);
    expect(await service.owner(thread)).toBe(ALICE.id);
    const restart = fake.sendCommand({ name: 'search', options: { description: 'boy with a red skateboard' }, channelId: threadId, member: ALICE });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === restart && c.type === 5));
    await fake.waitFor(() => service.calls.find((c) => c.method === 'start' && c.thread === thread && c.text === 'boy with a red skateboard'));
  });

  it('never lets user text ping anyone: every message it sends allows no mentions', async () => {
    await search('@everyone @here <@&900000000000000020> <@810000000000000002> look', ALICE);
    const refused = fake.sendCommand({ name: 'search', options: { description: '@everyone hi' }, channelId: FAKE_CHANNELS.allowed, member: VISITOR });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === refused));
    const bodies = fake.requests
      .filter((r) => r.method === 'POST' || r.method === 'PATCH')
      .map((r) => (r.path.endsWith('/callback') ? (r.body?.data as Record<string, unknown> | undefined) : r.body))
      .filter((b): b is Record<string, unknown> => b !== undefined && 'content' in b);
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) expect([body.content, body.allowed_mentions]).toEqual([body.content, { parse: [] }]);
  });
});

describe('Discord bot without the MessageContent intent', () => {
  let fake: FakeDiscord;
  let service: ScriptedConversationService;
  let bot: DiscordBot;
  const logs: string[] = [];

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN, disallowedIntents: MESSAGE_CONTENT_INTENT });
    service = await ScriptedConversationService.create();
    bot = await startDiscordBot({ config: { ...config, allowedGuilds: [], allowedChannels: [], allowedRoles: [] }, service, log: (l) => logs.push(l), restApi: fake.apiBase });
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await service?.close();
  });

  it('reconnects without it, says so, and runs the dialogue on buttons alone', async () => {
    expect(bot.messageContent).toBe(false);
    expect(fake.identifies.map((i) => (i.intents & MESSAGE_CONTENT_INTENT) !== 0)).toEqual([true, false]);
    expect(logs.some((l) => l.includes('Message Content intent is not enabled'))).toBe(true);
    expect(logs.some((l) => /^Warning: no Discord allow-list/.test(l))).toBe(true);

    fake.sendCommand({ name: 'search', options: { description: 'short woman, yellow scarf' }, channelId: FAKE_CHANNELS.other, member: VISITOR });
    const thread = await fake.waitFor(() => fake.threads[0]);
    const question = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.components.length > 0));
    expect(question.content).not.toContain('type your answer');
    fake.clickButton({ message: question, customId: 'ctgi:q:q1:0:yes', member: VISITOR });
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === thread.id && m.files.some((f) => f.name.startsWith('ctgi-gallery'))));
  });
});

describe('Discord bot rate limits', () => {
  let fake: FakeDiscord;
  let service: ScriptedConversationService;
  let bot: DiscordBot;

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
    service = await ScriptedConversationService.create();
    // Concurrency is covered by the limiter's unit test; here only the per-minute windows.
    const limits = { starts: { concurrent: 5, perWindow: 2 }, answers: { concurrent: 5, perWindow: 1 } };
    bot = await startDiscordBot({ config, service, log: () => undefined, restApi: fake.apiBase, limits });
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await service?.close();
  });

  it('says "slow down" to a member over the per-minute limits, and not to others', async () => {
    for (const description of ['first person', 'second person']) {
      fake.sendCommand({ name: 'search', options: { description }, channelId: FAKE_CHANNELS.allowed, member: ALICE });
      await fake.waitFor(() => fake.messages.find((m) => fake.threads.find((t) => t.name === `Search: ${description}`)?.id === m.channel_id && m.components.length > 0));
    }
    const third = fake.sendCommand({ name: 'search', options: { description: 'third person' }, channelId: FAKE_CHANNELS.allowed, member: ALICE });
    const reply = await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === third));
    expect(reply).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(String(reply.data!.content)).toMatch(/^Slow down: at most 2 searches a minute per person; try again in \d+ s\.$/);
    expect(service.calls.filter((c) => c.method === 'start').map((c) => c.text)).toEqual(['first person', 'second person']);

    const bob = fake.sendCommand({ name: 'search', options: { description: 'bob person' }, channelId: FAKE_CHANNELS.allowed, member: BOB });
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === bob && c.type === 5));

    // Typed answers: one a minute here, so the second is refused in the thread.
    const threadId = fake.threads.find((t) => t.name === 'Search: first person')!.id;
    fake.sendMessage({ channelId: threadId, content: 'Yes', member: ALICE });
    await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.files.some((f) => f.name.startsWith('ctgi-gallery'))));
    fake.sendMessage({ channelId: threadId, content: 'none of these', member: ALICE });
    const slow = await fake.waitFor(() => fake.messages.find((m) => m.channel_id === threadId && m.content.includes('Slow down')));
    expect(slow.content).toMatch(/^<@\d+> Slow down: at most 1 answers a minute per person/);
    expect(service.calls.filter((c) => c.method === 'answer').map((c) => c.text)).toEqual(['Yes']);
  });
});

describe('registerDiscordCommands', () => {
  let fake: FakeDiscord;

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('registers /search with a required description, in one guild or globally', async () => {
    expect(await registerDiscordCommands(config, { guildId: FAKE_GUILD_ID, restApi: fake.apiBase })).toEqual({ scope: FAKE_GUILD_ID, names: ['search', 'witness'] });
    expect(await registerDiscordCommands(config, { restApi: fake.apiBase })).toEqual({ scope: 'global', names: ['search', 'witness'] });
    for (const scope of [FAKE_GUILD_ID, 'global']) {
      const [command] = fake.commands.get(scope) as Array<{ name: string; options: Array<{ name: string; type: number; required: boolean }> }>;
      expect(command.name).toBe('search');
      expect(command.options).toEqual([expect.objectContaining({ name: 'description', type: 3, required: true })]);
    }
    const put = fake.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe(`/applications/${FAKE_APP_ID}/guilds/${FAKE_GUILD_ID}/commands`);
    expect(put.auth).toBe(`Bot ${TOKEN}`);
  });

  it('names the missing setting', async () => {
    const err = await registerDiscordCommands({ token: TOKEN, applicationId: undefined }, { restApi: fake.apiBase }).catch((e: unknown) => e);
    expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('DISCORD_APPLICATION_ID');
  });
});

describe('Discord message bodies', () => {
  it('keeps within five buttons per row and five rows, and carries long replies by index', () => {
    const options = Array.from({ length: 30 }, (_, i) => ({ label: `Option ${i} ${'x'.repeat(100)}`, value: i === 7 ? 'y'.repeat(150) : `v${i}` }));
    const body = questionBody({ kind: 'question', id: 'q', text: 'Which?', options, freeText: false, timeoutSeconds: 60 }, true);
    expect(body.components!.length).toBe(5);
    for (const row of body.components!) {
      expect(row.components.length).toBeLessThanOrEqual(5);
      for (const button of row.components) {
        expect((button as { custom_id: string }).custom_id.length).toBeLessThanOrEqual(100);
        expect((button as { label: string }).label.length).toBeLessThanOrEqual(80);
      }
    }
    expect(parseCustomId(customIdFor('q:2.1', 3, "don't know"))).toEqual({ target: 'q:2.1', index: 3, reply: "don't know" });
    expect(parseCustomId(customIdFor('g:4', 7, 'y'.repeat(150)))).toEqual({ target: 'g:4', index: 7, reply: '' });
    for (const forged of ['other:1:x', 'ctgi:1:x', 'ctgi:x:1:0:yes', 'ctgi:q:1:999:x', 'ctgi:q::0:x', `ctgi:q:1:0:${'z'.repeat(200)}`]) expect(parseCustomId(forged)).toBeUndefined();
  });
});
