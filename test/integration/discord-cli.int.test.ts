import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationService } from '../../src/conversation/conversation-types.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { runDiscord, runDiscordRegister } from '../../app/cli/commands/discord.command.js';
import { FAKE_APP_ID, FAKE_CHANNELS, FAKE_GUILD_ID, FAKE_ROLES, startFakeDiscord, type FakeDiscord } from '../fakes/discord-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { cliContext } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// `ctgi discord` and `ctgi discord register` as composed by the CLI, against the fake Discord.

const TOKEN = 'fake-discord-token';
let fake: FakeDiscord;
let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  fake = await startFakeDiscord({ token: TOKEN });
  temp = await makeTempDir('discord-cli');
});

afterAll(async () => {
  await fake?.close();
  await temp?.cleanup();
});

function context(env: Record<string, string>): { ctx: CliContext; out: () => string } {
  return cliContext({ CTGI_HOME: temp.dir, ...env });
}

describe('ctgi discord', () => {
  it('register puts /search into one guild', async () => {
    const { ctx, out } = context({ DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: FAKE_APP_ID });
    await runDiscordRegister(ctx, { guild: FAKE_GUILD_ID }, { restApi: fake.apiBase });
    expect(out()).toBe(`Registered /search, /witness in guild ${FAKE_GUILD_ID}.\n`);
    expect((fake.commands.get(FAKE_GUILD_ID) as Array<{ name: string }>).map((c) => c.name)).toEqual(['search', 'witness']);
  });

  it('runs the bot until stopped and writes searches and refusals to the audit trail', async () => {
    const { ctx, out } = context({ DISCORD_TOKEN: TOKEN, CTGI_DISCORD_ALLOWED_CHANNELS: FAKE_CHANNELS.allowed });
    let service: ScriptedConversationService | undefined;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const done = runDiscord(ctx, {}, {
      stopped,
      restApi: fake.apiBase,
      open: async ({ audit }): Promise<ConversationService> => (service = await ScriptedConversationService.create({ audit })),
      onStarted: () => started(),
    });
    await running;
    expect(out()).toContain('Discord bot running');

    const member = { id: '810000000000000009', username: 'grace', roles: [FAKE_ROLES.security] };
    fake.sendCommand({ name: 'search', options: { description: 'boy with a red kite' }, channelId: FAKE_CHANNELS.allowed, member });
    const refused = fake.sendCommand({ name: 'search', options: { description: 'everyone' }, channelId: FAKE_CHANNELS.other, member });
    await fake.waitFor(() => fake.messages.find((m) => m.content.includes('Was the person carrying a bag?')));
    await fake.waitFor(() => fake.callbacks.find((c) => c.interactionId === refused));
    stop();
    await done;
    expect(service!.closed).toBe(true);

    const store = AuditStore.openReadOnly(join(temp.dir, 'audit.sqlite'));
    const rows = store.export(undefined, 'jsonl').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; thread: string; text?: string });
    store.close();
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['description', 'question', 'refusal']));
    expect(rows.find((r) => r.kind === 'refusal')!.thread).toBe(`discord:${FAKE_CHANNELS.other}:-`);
  });
});
