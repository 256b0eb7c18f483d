import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { DeliveryDedupe } from '../../bots/slack/delivery-dedupe.js';
import { startSlackBot, type SlackBot } from '../../bots/slack/slack-bot.js';
import { loadConfig, type SlackConfig } from '../../src/config/config.js';
import { decodeRgb, type RgbImage } from '../../src/vision/rgb-decode.js';
import { FAKE_TEAM, startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { colourOf, ScriptedConversationService } from '../fakes/scripted-conversation-service.js';

// A real @slack/bolt app in Socket Mode against the local fake Slack, over the scripted conversation service.

const ALLOWED = 'C0ALLOWED';
const OTHER = 'C0OTHER';
const NOT_MEMBER = 'C0NOTMEMBER';

interface Block {
  type: string;
  block_id?: string;
  elements?: Array<{ type: string; action_id?: string; value?: string; text?: { text: string }; options?: Array<{ value: string }> }>;
  text?: { text: string };
}

let fake: FakeSlack;
let service: ScriptedConversationService;
let bot: SlackBot;
const audit: AuditRecord[] = [];
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeSlack({ notInChannels: [NOT_MEMBER] });
  service = await ScriptedConversationService.create({ audit: { record: async (r) => void audit.push(r) } });
  const config: SlackConfig = {
    ...loadConfig({ CTGI_HOME: '/nonexistent' }).slack,
    botToken: 'xoxb-fake-bot-token',
    appToken: 'xapp-fake-app-token',
    allowedChannels: [ALLOWED, NOT_MEMBER],
  };
  bot = await startSlackBot({ config, service, audit: { record: async (r) => void audit.push(r) }, log: (l) => logs.push(l), slackApiUrl: fake.apiUrl });
  await fake.connected();
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  await service?.close();
});

function postsIn(threadTs: string): Array<Record<string, unknown>> {
  return fake.posts().filter((p) => p.thread_ts === threadTs);
}

function blocksOf(post: Record<string, unknown>): Block[] {
  return (post.blocks as Block[] | undefined) ?? [];
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

describe('Slack bot (Socket Mode, fake Slack)', () => {
  it('runs a whole dialogue from /ctgi: thread, question buttons, contact sheet upload, pick', async () => {
    const envelope = fake.sendSlashCommand({ command: '/ctgi', text: 'woman in a red coat', channel_id: ALLOWED, user_id: 'U0ALICE', user_name: 'alice' });
    await fake.waitFor(() => fake.acks.find((a) => a.envelope_id === envelope));

    // The search gets its own thread under a top-level starter message.
    const starter = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === ALLOWED && c.args.thread_ts === undefined));
    const threadTs = starter.response!.ts as string;
    const thread = `slack:${ALLOWED}:${threadTs}`;
    const question = await fake.waitFor(() => postsIn(threadTs).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    expect(question.text).toBe('Was the person carrying a bag?');
    const buttons = blocksOf(question).find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((e) => [e.text?.text, e.value])).toEqual([['Yes', 'yes'], ['No', 'no'], ['Not sure', "don't know"]]);
    // The actions block names the question its buttons answer.
    expect(blocksOf(question).find((b) => b.type === 'actions')!.block_id).toBe('ctgi_r_q:q1');
    expect(service.calls.find((c) => c.method === 'start')).toMatchObject({ thread, user: { id: 'U0ALICE', name: 'alice' }, text: 'woman in a red coat' });

    // Click "No".
    const questionCall = fake.calls.find((c) => c.method === 'chat.postMessage' && c.args === question)!;
    const questionTs = questionCall.response!.ts as string;
    const no = buttons[1];
    fake.sendInteractive({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', team_id: FAKE_TEAM },
      channel: { id: ALLOWED, name: 'security' },
      container: { type: 'message', message_ts: questionTs, channel_id: ALLOWED, is_ephemeral: false, thread_ts: threadTs },
      message: { type: 'message', ts: questionTs, thread_ts: threadTs, text: question.text, blocks: question.blocks },
      actions: [{ type: 'button', action_id: no.action_id, block_id: 'ctgi_r_q:q1', value: no.value, text: { type: 'plain_text', text: 'No' }, action_ts: '1' }],
    });

    // The clicked question loses its buttons and says who answered.
    const update = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.update' && c.args.ts === questionTs));
    expect(blocksOf(update.args).some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(update.args.blocks)).toContain('<@U0ALICE> answered *No*');

    // The gallery: one PNG uploaded into the thread, then the ranked list with a pick menu and the buttons.
    const list = await fake.waitFor(() => postsIn(threadTs).find((p) => blocksOf(p).some((b) => b.elements?.some((e) => e.action_id === 'ctgi_pick'))));
    const uploads = [...fake.uploads.values()].filter((u) => u.completed?.thread_ts === threadTs);
    expect(uploads).toHaveLength(1);
    expect(uploads[0].completed!.channel_id).toBe(ALLOWED);
    expect(uploads[0].bytes.length).toBe(uploads[0].length);
    const completeIndex = fake.calls.findIndex((c) => c.method === 'files.completeUploadExternal');
    expect(completeIndex).toBeLessThan(fake.calls.findIndex((c) => c.args === list));
    const sheet = await decodeRgb(uploads[0].bytes, 'sheet');
    expect([sheet.width, sheet.height]).toEqual([848, 724]);
    // Tile k shows gallery image k: the scripted images are solid squares, letterboxed into 160×320 cells.
    const ids = service.galleryIds(0);
    for (const k of [0, 4, 5, 9]) {
      const left = 8 + (k % 5) * 168;
      const top = 8 + Math.floor(k / 5) * 358;
      const [r, g, b] = pixel(sheet, left + 80, top + 160);
      const want = colourOf(ids[k]);
      expect(Math.abs(r - want[0]) + Math.abs(g - want[1]) + Math.abs(b - want[2])).toBeLessThanOrEqual(6);
    }
    const actions = blocksOf(list).find((b) => b.type === 'actions')!.elements!;
    expect(actions[0].options!.map((o) => o.value)).toEqual(Array.from({ length: 10 }, (_, i) => `#${i + 1} is them`));
    expect(actions.slice(1).map((e) => e.value)).toEqual(['none of these', 'refine', 'stop', 'by time', 'export']);
    expect(blocksOf(list)[0].text!.text).toContain('*#1*');

    // Pick #3 from the menu.
    const listTs = fake.calls.find((c) => c.args === list)!.response!.ts as string;
    fake.sendInteractive({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', team_id: FAKE_TEAM },
      channel: { id: ALLOWED, name: 'security' },
      container: { type: 'message', message_ts: listTs, channel_id: ALLOWED, thread_ts: threadTs },
      message: { type: 'message', ts: listTs, thread_ts: threadTs, text: list.text, blocks: list.blocks },
      actions: [{ type: 'static_select', action_id: 'ctgi_pick', block_id: 'ctgi_r_g:0', selected_option: { text: { type: 'plain_text', text: '#3 is them' }, value: '#3 is them' }, action_ts: '2' }],
    });
    const done = await fake.waitFor(() => postsIn(threadTs).find((p) => String(p.text).includes('Confirmed')));
    expect(done.text).toContain(`image ${ids[2]}`);

    // Every post of this search went into its thread; the audit trail has the whole dialogue.
    expect(fake.posts().filter((p) => p.channel === ALLOWED && p.thread_ts === undefined)).toEqual([starter.args]);
    expect(audit.filter((r) => r.thread === thread).map((r) => r.kind)).toEqual(['description', 'question', 'answer', 'gallery', 'answer', 'done']);
    expect(audit.find((r) => r.thread === thread && r.kind === 'gallery')!.imageIds).toEqual(ids);
  });

  it("sends the gallery's Export button to the service as the owner's action, and posts the gallery again", async () => {
    const root = '1690000000.000201';
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0BOB', text: '<@U0BOT> man in a blue cap', ts: root, team: FAKE_TEAM });
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0BOB', text: 'no', ts: '1690000000.000202', thread_ts: root, channel_type: 'channel' });
    const isList = (p: Record<string, unknown>) => blocksOf(p).some((b) => b.elements?.some((e) => e.action_id === 'ctgi_pick'));
    const list = await fake.waitFor(() => postsIn(root).find(isList));
    const listTs = fake.calls.find((c) => c.args === list)!.response!.ts as string;
    const exportButton = blocksOf(list).find((b) => b.type === 'actions')!.elements!.find((e) => e.value === 'export')!;
    expect(exportButton.text?.text).toBe('Export');
    fake.sendInteractive({
      type: 'block_actions',
      user: { id: 'U0BOB', username: 'bob', team_id: FAKE_TEAM },
      channel: { id: ALLOWED, name: 'security' },
      container: { type: 'message', message_ts: listTs, channel_id: ALLOWED, thread_ts: root },
      message: { type: 'message', ts: listTs, thread_ts: root, text: list.text, blocks: list.blocks },
      actions: [{ type: 'button', action_id: exportButton.action_id, block_id: 'ctgi_r_g:0', value: 'export', text: { type: 'plain_text', text: 'Export' }, action_ts: '3' }],
    });
    await fake.waitFor(() => postsIn(root).find((p) => String(p.text).includes('Action export noted')));
    expect(service.calls.filter((c) => c.method === 'act' && c.thread === `slack:${ALLOWED}:${root}`).map((c) => [c.user?.id, c.action])).toEqual([['U0BOB', { kind: 'export' }]]);
    // The pressed list lost its buttons; the gallery comes again with live ones.
    await fake.waitFor(() => (postsIn(root).filter(isList).length === 2 ? true : undefined));
  });

  it('starts from an @mention and takes free-text thread replies as answers', async () => {
    const root = '1690000000.000001';
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0BOB', text: '<@U0BOT> man with a grey hoodie', ts: root, team: FAKE_TEAM });
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    expect(service.calls.find((c) => c.method === 'start' && c.thread === `slack:${ALLOWED}:${root}`)?.text).toBe('man with a grey hoodie');

    // Chatter in some other thread is not an answer to anything.
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0BOB', text: 'unrelated', ts: '1690000000.000100', thread_ts: '1690000000.000099', channel_type: 'channel' });
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0BOB', text: 'Yes, a black backpack', ts: '1690000000.000002', thread_ts: root, channel_type: 'channel' });
    await fake.waitFor(() => [...fake.uploads.values()].find((u) => u.completed?.thread_ts === root));
    const answers = service.calls.filter((c) => c.method === 'answer');
    expect(answers.filter((c) => c.thread === `slack:${ALLOWED}:${root}`).map((c) => c.text)).toEqual(['Yes, a black backpack']);
    expect(answers.some((c) => c.text === 'unrelated')).toBe(false);
  });

  it('handles a retried delivery of the same event once', async () => {
    const root = '1690000000.000500';
    const event = { type: 'app_mention', channel: ALLOWED, user: 'U0CAROL', text: '<@U0BOT> tall man, red cap', ts: root, team: FAKE_TEAM };
    const first = fake.sendEvent(event, { eventId: 'Ev0RETRY01' });
    const retry = fake.sendEvent(event, { eventId: 'Ev0RETRY01', retryAttempt: 1 });
    expect(retry).not.toBe(first);
    await fake.waitFor(() => fake.acks.some((a) => a.envelope_id === first) && fake.acks.some((a) => a.envelope_id === retry));
    await fake.waitFor(() => logs.some((l) => l.includes('repeated delivery (event:Ev0RETRY01')));
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    expect(service.calls.filter((c) => c.method === 'start' && c.thread === `slack:${ALLOWED}:${root}`)).toHaveLength(1);
    expect(postsIn(root).filter((p) => blocksOf(p).some((b) => b.type === 'actions'))).toHaveLength(1);
  });

  it('refuses outside the allow-list with one sentence, no image, and an audit row', async () => {
    const uploadsBefore = fake.uploads.size;
    const postsBefore = fake.posts().length;
    const envelope = fake.sendSlashCommand({ command: '/ctgi', text: 'woman in a red coat', channel_id: OTHER, user_id: 'U0MALLORY', user_name: 'mallory' });
    const ack = await fake.waitFor(() => fake.acks.find((a) => a.envelope_id === envelope));
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload.text)).toMatch(/^Sorry, [^.]+\.$/);

    // A mention there gets the refusal in its own thread, nothing else.
    const root = '1690000000.000900';
    fake.sendEvent({ type: 'app_mention', channel: OTHER, user: 'U0MALLORY', text: '<@U0BOT> show me everyone', ts: root, team: FAKE_TEAM });
    const refusal = await fake.waitFor(() => postsIn(root)[0]);
    expect(String(refusal.text)).toMatch(/^Sorry, [^.]+\.$/);
    expect(refusal.channel).toBe(OTHER);
    expect(refusal.blocks).toBeUndefined();

    expect(fake.uploads.size).toBe(uploadsBefore);
    expect(fake.posts().length).toBe(postsBefore + 1);
    expect(service.calls.some((c) => c.user?.id === 'U0MALLORY')).toBe(false);
    const refusals = audit.filter((r) => r.kind === 'refusal');
    expect(refusals.map((r) => [r.userId, r.thread])).toEqual([
      ['U0MALLORY', `slack:${OTHER}:-`],
      ['U0MALLORY', `slack:${OTHER}:${root}`],
    ]);
    expect(refusals[0].text).toContain('woman in a red coat');
  });

  it('tells the user privately when the bot is not in the channel', async () => {
    fake.sendSlashCommand({ command: '/ctgi', text: 'man in a suit', channel_id: NOT_MEMBER, user_id: 'U0ALICE', user_name: 'alice' });
    const response = await fake.waitFor(() => fake.responses[0]);
    expect(response).toEqual({ response_type: 'ephemeral', text: 'The bot is not a member of this channel: invite it with /invite and try again.' });
    expect(service.calls.some((c) => c.text === 'man in a suit')).toBe(false);
  });

  /** Clicks `element` of the actions block of a posted message as `user`. */
  function click(post: Record<string, unknown>, threadTs: string, element: number, user: string, blockId?: string): void {
    const ts = fake.calls.find((c) => c.args === post)!.response!.ts as string;
    const actions = blocksOf(post).find((b) => b.type === 'actions')!;
    const e = actions.elements![element];
    fake.sendInteractive({
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: FAKE_TEAM },
      channel: { id: ALLOWED, name: 'security' },
      container: { type: 'message', message_ts: ts, channel_id: ALLOWED, thread_ts: threadTs },
      message: { type: 'message', ts, thread_ts: threadTs, text: post.text, blocks: post.blocks },
      actions: [{ type: 'button', action_id: e.action_id, block_id: blockId ?? actions.block_id, value: e.value, text: e.text, action_ts: '9' }],
    });
  }

  it("refuses a stale button: question 1 answered by typing, then question 1's button → notice, buttons removed, nothing recorded", async () => {
    const root = '1690000000.001000';
    const thread = `slack:${ALLOWED}:${root}`;
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0ALICE', text: '<@U0BOT> man in a long brown coat', ts: root, team: FAKE_TEAM });
    const question = await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0ALICE', text: 'Yes', ts: '1690000000.001001', thread_ts: root, channel_type: 'channel' });
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.elements?.some((e) => e.action_id === 'ctgi_pick'))));
    // The typed answer made question 1's buttons out of date: they are removed without anyone pressing them.
    const questionTs = fake.calls.find((c) => c.args === question)!.response!.ts;
    const retired = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.update' && c.args.ts === questionTs));
    expect(blocksOf(retired.args).some((b) => b.type === 'actions')).toBe(false);
    const recorded = audit.filter((r) => r.thread === thread).length;
    // A click that raced the update (from a client still showing the old message) is refused all the same.
    click(question, root, 1, 'U0ALICE');
    const notice = await fake.waitFor(() => postsIn(root).find((p) => String(p.text).includes('belongs to an earlier question')));
    expect(notice.text).toBe(':information_source: That button belongs to an earlier question; answer the current one.');
    const update = fake.calls.filter((c) => c.method === 'chat.update' && c.args.ts === questionTs).at(-1)!;
    expect(blocksOf(update.args).some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(update.args.blocks)).toContain('earlier question');
    expect(JSON.stringify(update.args.blocks)).not.toContain('answered');
    expect(audit.filter((r) => r.thread === thread).slice(recorded).map((r) => r.kind)).toEqual(['refusal']);
    expect((await service.pending(thread)).map((e) => e.kind)).toEqual(['gallery']);
  });

  it('refuses a button whose block id is not one of ours, privately, without answering', async () => {
    const root = '1690000000.001100';
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0BOB', text: '<@U0BOT> woman with a green umbrella', ts: root, team: FAKE_TEAM });
    const question = await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    const answers = service.calls.filter((c) => c.method === 'answer').length;
    click(question, root, 0, 'U0BOB', 'ctgi_a_answers');
    const told = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.thread_ts === root));
    expect(told.args).toMatchObject({ channel: ALLOWED, user: 'U0BOB', text: 'This button is not valid.' });
    expect(service.calls.filter((c) => c.method === 'answer')).toHaveLength(answers);
  });

  it('escapes user text in every text Slack renders, the fallback text included', async () => {
    const evil = '<!channel> see <https://evil.example|see photo> & <@U0ALICE>';
    fake.sendSlashCommand({ command: '/ctgi', text: evil, channel_id: ALLOWED, user_id: 'U0CAROL', user_name: 'carol' });
    const starter = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined && String(c.args.text).includes('<@U0CAROL>')));
    const root = starter.response!.ts as string;
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0CAROL', text: 'no', ts: '1690000000.001201', thread_ts: root, channel_type: 'channel' });
    const list = await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.elements?.some((e) => e.action_id === 'ctgi_pick'))));
    expect(String(list.text)).toContain('&lt;!channel&gt; see &lt;https://evil.example|see photo&gt; &amp; &lt;@U0ALICE&gt;');
    for (const post of postsIn(root)) {
      const rendered = JSON.stringify([post.text, post.blocks ?? null]);
      expect(rendered).not.toContain('<!channel>');
      expect(rendered).not.toContain('<https://evil.example');
      expect(rendered).not.toContain('<@U0ALICE>');
    }
  });

  it("keeps a search thread its starter's: another user's mention there cannot restart it", async () => {
    const root = '1690000000.001300';
    const thread = `slack:${ALLOWED}:${root}`;
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0ALICE', text: '<@U0BOT> boy with a skateboard', ts: root, team: FAKE_TEAM });
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    fake.sendEvent({ type: 'message', channel: ALLOWED, user: 'U0ALICE', text: 'stop', ts: '1690000000.001301', thread_ts: root, channel_type: 'channel' });
    await fake.waitFor(() => postsIn(root).find((p) => String(p.text).includes('Search stopped')));
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0MALLORY', text: '<@U0BOT> my own thing', ts: '1690000000.001302', thread_ts: root, team: FAKE_TEAM });
    const told = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.thread_ts === root));
    expect(told.args).toMatchObject({ user: 'U0MALLORY', text: 'This search belongs to <@U0ALICE>. Start your own with /ctgi in the channel, or mention me outside this thread.' });
    expect(service.calls.some((c) => c.method === 'start' && c.user?.id === 'U0MALLORY')).toBe(false);
    expect(await service.owner(thread)).toBe('U0ALICE');
    expect(audit.at(-1)).toMatchObject({ kind: 'refusal', userId: 'U0MALLORY', thread });
  });

  it('renders events the service pushes on its own (a question timing out) into the thread', async () => {
    const root = '1690000000.000700';
    fake.sendEvent({ type: 'app_mention', channel: ALLOWED, user: 'U0BOB', text: '<@U0BOT> woman with an umbrella', ts: root, team: FAKE_TEAM });
    await fake.waitFor(() => postsIn(root).find((p) => blocksOf(p).some((b) => b.type === 'actions')));
    await service.expire(`slack:${ALLOWED}:${root}`);
    await fake.waitFor(() => [...fake.uploads.values()].find((u) => u.completed?.thread_ts === root && u.bytes.length > 0));
    expect(postsIn(root).some((p) => String(p.text).endsWith('No answer in time; carrying on without it.'))).toBe(true);
  });
});

describe('DeliveryDedupe', () => {
  it('remembers a bounded number of ids, forgetting the oldest first', () => {
    const dedupe = new DeliveryDedupe(3);
    expect(['a', 'b', 'c'].map((id) => dedupe.isDuplicate(id))).toEqual([false, false, false]);
    expect(dedupe.isDuplicate('b')).toBe(true);
    expect(dedupe.isDuplicate('d')).toBe(false); // evicts 'a'
    expect(dedupe.size).toBe(3);
    expect(dedupe.isDuplicate('a')).toBe(false);
    expect(dedupe.isDuplicate('d')).toBe(true);
  });
});
