// The witness link from Slack: a real Bolt app against the fake Slack, the link posted to the operator only
// (an ephemeral message, or the slash command's ephemeral ack), the witness answering on the page that
// `ctgi serve` serves, and the answer appearing in the operator's thread as "witness (link): …".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { loadConfig, type SlackConfig } from '../../src/config/config.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';
import { startSlackBot, type SlackBot } from '../../bots/slack/slack-bot.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { WebClient } from '../helpers/web-http.js';

const ALLOWED = 'C0ALLOWED';

describe('witness link from Slack (fake Slack)', () => {
  let home: Awaited<ReturnType<typeof makeTempDir>>;
  let fake: FakeSlack;
  let service: ScriptedConversationService;
  let store: SqliteWitnessLinkStore;
  let web: WebServer;
  let bot: SlackBot;
  const audit: AuditRecord[] = [];

  beforeAll(async () => {
    home = await makeTempDir('witness-slack');
    fake = await startFakeSlack();
    service = await ScriptedConversationService.create({ audit: { record: async (r) => void audit.push(r) } });
    store = SqliteWitnessLinkStore.open(`${home.dir}/witness-links.sqlite`);
    const links = new WitnessLinks({ store, service, audit: { record: async (r) => void audit.push(r) } });
    web = await startWebServer({ service, port: 0, witnessLinks: links, witnessRelayMs: 20 });
    const config: SlackConfig = { ...loadConfig({ CTGI_HOME: home.dir }).slack, botToken: 'xoxb-fake-bot-token', appToken: 'xapp-fake-app-token', allowedChannels: [ALLOWED] };
    bot = await startSlackBot({ config, service, audit: { record: async (r) => void audit.push(r) }, log: () => undefined, slackApiUrl: fake.apiUrl, witness: { links, publicUrl: web.url.replace(/\/$/, ''), relayMs: 20 } });
    await fake.connected();
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

  it('posts the link to the operator only, and the witness\'s answers appear in the thread', async () => {
    const envelope = fake.sendSlashCommand({ command: '/ctgi', text: 'woman in a red coat', channel_id: ALLOWED, user_id: 'U0ALICE', user_name: 'alice', team_id: 'T0FAKE' });
    await fake.waitFor(() => fake.acks.find((a) => a.envelope_id === envelope));
    const starter = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === ALLOWED && c.args.thread_ts === undefined));
    const threadTs = starter.response!.ts as string;
    await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === threadTs && p.text === 'Was the person carrying a bag?'));

    // `witness` typed in the thread: an ephemeral message to Alice, nothing in the thread itself.
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0ALICE', text: 'witness', ts: '1700000001.000001', thread_ts: threadTs, channel_type: 'channel', team: 'T0FAKE' });
    const ephemeral = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0ALICE' && linkIn(String(c.args.text))));
    expect(ephemeral.args.thread_ts).toBe(threadTs);
    expect(fake.posts().some((p) => /\/w\//.test(String(p.text)))).toBe(false);
    expect(service.calls.filter((c) => c.method === 'answer')).toHaveLength(0);

    // Someone else in the thread gets no link.
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0BOB', text: 'witness', ts: '1700000001.000002', thread_ts: threadTs, channel_type: 'channel', team: 'T0FAKE' });
    const bobs = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0BOB'));
    expect(String(bobs.args.text)).toContain('Only the person who started this search');
    expect(linkIn(String(bobs.args.text))).toBeUndefined();

    // `/ctgi witness` in the channel: the ephemeral ack carries a fresh link (the first one is revoked).
    const again = fake.sendSlashCommand({ command: '/ctgi', text: 'witness', channel_id: ALLOWED, user_id: 'U0ALICE', user_name: 'alice', team_id: 'T0FAKE' });
    const ack = await fake.waitFor(() => fake.acks.find((a) => a.envelope_id === again));
    expect(ack.payload.response_type).toBe('ephemeral');
    const url = linkIn(String(ack.payload.text))!;
    expect(url).toBeDefined();
    const first = linkIn(String(ephemeral.args.text))!;
    expect((await new WebClient(web.url).get(new URL(first).pathname)).status).toBe(410);

    // The witness answers on the page; the answer and the gallery it led to appear in the thread.
    const witness = new WebClient(web.url);
    const path = new URL(url).pathname;
    expect((await witness.get(path)).status).toBe(200);
    const view = (await witness.get(`${path}/api/state`)).json<{ question: { id: string } }>();
    expect((await witness.post(`${path}/api/answer`, { text: 'yes', inReplyTo: `q:${view.question.id}` })).json()).toMatchObject({ status: 'accepted' });
    const said = await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === threadTs && /witness \(link\): Yes/.test(String(p.text))));
    expect(said.channel).toBe(ALLOWED);
    await fake.waitFor(() => [...fake.uploads.values()].find((u) => u.completed?.thread_ts === threadTs));
    const answer = service.calls.filter((c) => c.method === 'answer').at(-1)!;
    expect(answer.thread).toBe(`slack:${ALLOWED}:${threadTs}`);
    expect(answer.user?.name).toBe('witness (link)');

    // The operator can still answer in the thread; the witness's stale tap is told it was answered.
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0ALICE', text: 'none of these', ts: '1700000001.000003', thread_ts: threadTs, channel_type: 'channel', team: 'T0FAKE' });
    await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === threadTs && p.text === 'Was the person wearing a hat?'));
    expect((await witness.post(`${path}/api/answer`, { text: 'no', inReplyTo: `q:${view.question.id}` })).json()).toMatchObject({ status: 'already-answered' });

    // A timeout in this process reaches the thread once: the bot hears it itself, so nothing is queued twice.
    service.emit(`slack:${ALLOWED}:${threadTs}`, [{ kind: 'text', tone: 'notice', text: 'No answer in time (test).' }]);
    await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === threadTs && /No answer in time \(test\)/.test(String(p.text))));
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.posts().filter((p) => p.thread_ts === threadTs && /No answer in time \(test\)/.test(String(p.text)))).toHaveLength(1);

    // `witness revoke` in the thread; the page then refuses.
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0ALICE', text: 'witness revoke', ts: '1700000001.000004', thread_ts: threadTs, channel_type: 'channel', team: 'T0FAKE' });
    await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && /revoked/.test(String(c.args.text))));
    expect((await witness.get(path)).status).toBe(410);
    const kinds = audit.filter((r) => r.kind === 'witness').map((r) => r.text ?? '');
    expect(kinds.some((t) => /created/.test(t))).toBe(true);
    expect(kinds.some((t) => /revoked/.test(t))).toBe(true);
  });
});
