import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackBot, type SlackBot } from '../../bots/slack/slack-bot.js';
import { loadConfig } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { FAKE_TEAM, startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';

// HTTP mode (CTGI_SLACK_MODE=http): Slack posts signed requests to /slack/events; the Web API is the fake.

const SECRET = 'fake-signing-secret-0123456789';

let fake: FakeSlack;
let service: ScriptedConversationService;
let bot: SlackBot;
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeSlack();
  service = await ScriptedConversationService.create();
  const config = loadConfig({ CTGI_HOME: '/nonexistent', SLACK_BOT_TOKEN: 'xoxb-fake-bot-token', SLACK_SIGNING_SECRET: SECRET, CTGI_SLACK_MODE: 'http' }).slack;
  const limits = { starts: { concurrent: 5, perWindow: 3 } };
  bot = await startSlackBot({ config, service, log: (l) => logs.push(l), slackApiUrl: fake.apiUrl, port: 0, limits });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  await service?.close();
});

function post(body: string, contentType: string, options: { secret?: string; retryNum?: number; skewSeconds?: number } = {}): Promise<Response> {
  const timestamp = String(Math.floor(Date.now() / 1000) + (options.skewSeconds ?? 0));
  const signature = `v0=${createHmac('sha256', options.secret ?? SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const headers: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
  if (options.retryNum !== undefined) Object.assign(headers, { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' });
  return fetch(`http://127.0.0.1:${bot.port}/slack/events`, { method: 'POST', headers, body });
}

function command(text: string, channel: string): string {
  return new URLSearchParams({ command: '/ctgi', text, channel_id: channel, user_id: 'U0DAVE', user_name: 'dave', team_id: FAKE_TEAM, trigger_id: `trig-${text}`, response_url: `${fake.apiUrl}x`, token: 't', api_app_id: 'A0FAKE' }).toString();
}

describe('Slack bot (HTTP mode)', () => {
  it('warns at start-up that nothing is restricted when no allow-list is set', () => {
    expect(bot.mode).toBe('http');
    expect(logs.some((l) => /^Warning: no Slack allow-list/.test(l))).toBe(true);
  });

  it('acknowledges a signed slash command and starts a search in a thread', async () => {
    const res = await post(command('man in a green parka', 'C0HTTP'), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    const starter = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0HTTP' && c.args.thread_ts === undefined));
    const ts = starter.response!.ts as string;
    await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === ts && p.text === 'Was the person carrying a bag?'));
    expect(service.calls.find((c) => c.method === 'start')).toMatchObject({ thread: `slack:C0HTTP:${ts}`, text: 'man in a green parka' });
  });

  it('rejects a request with a bad signature', async () => {
    const before = service.calls.length;
    const res = await post(command('forged', 'C0HTTP'), 'application/x-www-form-urlencoded', { secret: 'wrong-secret' });
    expect(res.status).toBe(401);
    expect(service.calls.length).toBe(before);
  });

  it('ignores an event re-sent with X-Slack-Retry-Num', async () => {
    const body = JSON.stringify({
      token: 't',
      team_id: FAKE_TEAM,
      api_app_id: 'A0FAKE',
      type: 'event_callback',
      event_id: 'Ev0HTTPRETRY',
      event_time: 1,
      event: { type: 'app_mention', channel: 'C0HTTP', user: 'U0DAVE', text: '<@U0BOT> short woman, yellow scarf', ts: '1690000001.000001', event_ts: '1690000001.000001' },
    });
    expect((await post(body, 'application/json')).status).toBe(200);
    expect((await post(body, 'application/json', { retryNum: 1 })).status).toBe(200);
    await fake.waitFor(() => logs.some((l) => l.includes('repeated delivery (event:Ev0HTTPRETRY, retry 1)')));
    await fake.waitFor(() => fake.posts().find((p) => p.thread_ts === '1690000001.000001' && p.text === 'Was the person carrying a bag?'));
    expect(service.calls.filter((c) => c.method === 'start' && c.thread === 'slack:C0HTTP:1690000001.000001')).toHaveLength(1);
  });

  it('rejects a correctly signed request dated more than five minutes ahead or behind', async () => {
    const before = service.calls.length;
    for (const skewSeconds of [600, 24 * 3600, -600]) {
      const res = await post(command(`from the future ${skewSeconds}`, 'C0HTTP'), 'application/x-www-form-urlencoded', { skewSeconds });
      expect(res.status).toBe(401);
    }
    expect(service.calls.length).toBe(before);
    expect(logs.some((l) => l.includes('more than 5 minutes off our clock'))).toBe(true);
    // Within the window (a clock a minute off) is fine.
    expect((await post(command('a minute ahead', 'C0SKEW'), 'application/x-www-form-urlencoded', { skewSeconds: 60 })).status).toBe(200);
    await fake.waitFor(() => service.calls.find((c) => c.method === 'start' && c.text === 'a minute ahead'));
  });

  it('tells a user over the per-minute start limit to slow down, privately', async () => {
    // Dave started three searches above (the parka, the yellow scarf, a minute ahead): the limit here is 3.
    const res = await post(command('one more person', 'C0HTTP'), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/^Slow down: at most 3 searches a minute per person; try again in \d+ s\.$/);
    expect(service.calls.some((c) => c.text === 'one more person')).toBe(false);
  });

  it('refuses to start without the tokens its mode needs', async () => {
    const config = loadConfig({ CTGI_HOME: '/nonexistent', SLACK_BOT_TOKEN: 'xoxb-x' }).slack;
    const err = await startSlackBot({ config, service, log: () => undefined, slackApiUrl: fake.apiUrl }).catch((e: unknown) => e);
    expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('SLACK_APP_TOKEN');
  });
});
