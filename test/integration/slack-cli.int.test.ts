import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationService } from '../../src/conversation/conversation-types.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { runSlack } from '../../app/cli/commands/slack.command.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { cliContext } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// `ctgi slack` as composed by the CLI: tokens from the environment, the SQLite audit trail under CTGI_HOME,
// the bot against the fake Slack; the scripted service stands in for the real one.

let fake: FakeSlack;
let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  fake = await startFakeSlack();
  temp = await makeTempDir('slack-cli');
});

afterAll(async () => {
  await fake?.close();
  await temp?.cleanup();
});

function context(env: Record<string, string>): { ctx: CliContext; out: () => string } {
  return cliContext({ CTGI_HOME: temp.dir, ...env });
}

describe('ctgi slack', () => {
  it('runs the bot until stopped and writes searches and refusals to the audit trail', async () => {
    const { ctx, out } = context({ SLACK_BOT_TOKEN: 'xoxb-fake-bot-token', SLACK_APP_TOKEN: 'xapp-fake-app-token', CTGI_SLACK_ALLOWED_CHANNELS: 'C0OK' });
    let service: ScriptedConversationService | undefined;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const done = runSlack(ctx, {}, {
      stopped,
      slackApiUrl: fake.apiUrl,
      open: async ({ audit }): Promise<ConversationService> => (service = await ScriptedConversationService.create({ audit })),
      onStarted: () => started(),
    });
    await running;
    expect(out()).toContain('Slack bot running (Socket Mode)');
    expect(out()).toContain('demo world');

    fake.sendSlashCommand({ command: '/ctgi', text: 'man in a blue cap', channel_id: 'C0OK', user_id: 'U0ERIN', user_name: 'erin' });
    fake.sendSlashCommand({ command: '/ctgi', text: 'everyone', channel_id: 'C0NOPE', user_id: 'U0FRANK', user_name: 'frank' });
    await fake.waitFor(() => fake.posts().find((p) => p.text === 'Was the person carrying a bag?'));
    await fake.waitFor(() => fake.acks.length >= 2);
    stop();
    await done;
    expect(service!.closed).toBe(true);

    const store = AuditStore.openReadOnly(join(temp.dir, 'audit.sqlite'));
    const rows = store.export(undefined, 'jsonl').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; userId?: string; user_id?: string; text?: string });
    store.close();
    const kinds = rows.map((r) => [r.kind, r.userId ?? r.user_id]);
    expect(kinds).toContainEqual(['description', 'U0ERIN']);
    expect(kinds).toContainEqual(['question', 'U0ERIN']);
    expect(kinds).toContainEqual(['refusal', 'U0FRANK']);
    expect(rows.find((r) => r.kind === 'refusal')!.text).toContain('everyone');
  });

  it('names the missing token before opening anything', async () => {
    const { ctx } = context({ SLACK_BOT_TOKEN: 'xoxb-x' });
    let opened = false;
    const err = await runSlack(ctx, {}, { stopped: Promise.resolve(), open: async () => ((opened = true), ScriptedConversationService.create()) }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('SLACK_APP_TOKEN');
    expect(opened).toBe(false);
  });
});
