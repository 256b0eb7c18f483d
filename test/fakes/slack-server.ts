// A local stand-in for Slack: the Web API methods the bot uses (auth.test, apps.connections.open,
// chat.postMessage, chat.update, files.getUploadURLExternal, the upload URL, files.completeUploadExternal)
// and a Socket Mode WebSocket that says `hello`, delivers envelopes and records the acks.
// Point Bolt at it with `clientOptions: { slackApiUrl: fake.apiUrl }`.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody, sendJson } from './http-util.js';

export const FAKE_TEAM = 'T0FAKE';
export const FAKE_BOT_USER = 'U0BOT';
export const FAKE_BOT_ID = 'B0BOT';

/** One Web API call: method name, arguments (JSON-valued fields such as `blocks` parsed), bearer token. */
export interface SlackApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** What the fake answered (e.g. the `ts` of a posted message). */
  response?: Record<string, unknown>;
}

/** A file whose bytes reached the upload URL. */
export interface SlackUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Buffer;
  /** Set by files.completeUploadExternal. */
  completed?: { channel_id?: string; thread_ts?: string; title?: string; initial_comment?: string };
}

/** An acknowledgement the app sent over the socket. */
export interface SlackAck {
  envelope_id: string;
  payload: Record<string, unknown>;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  /** Channels the bot is not a member of: chat.postMessage there fails with `not_in_channel`. */
  notInChannels?: string[];
}

export interface FakeSlack {
  /** What `clientOptions.slackApiUrl` should be (`http://127.0.0.1:PORT/api/`). */
  apiUrl: string;
  calls: SlackApiCall[];
  uploads: Map<string, SlackUpload>;
  acks: SlackAck[];
  /** Bodies POSTed to a slash command's `response_url`. */
  responses: Array<Record<string, unknown>>;
  /** Resolves once an app has connected and been sent `hello`. */
  connected(): Promise<void>;
  /** Delivers an Events API envelope; retries reuse `eventId` with a fresh envelope and `retryAttempt` > 0. */
  sendEvent(event: Record<string, unknown>, options?: { eventId?: string; retryAttempt?: number; envelopeId?: string }): string;
  /** Delivers a slash-command envelope (fields as Slack posts them: command, text, channel_id, user_id, …). */
  sendSlashCommand(payload: Record<string, unknown>): string;
  /** Delivers an interactive envelope (block_actions etc.). */
  sendInteractive(payload: Record<string, unknown>): string;
  /** Resolves when `predicate` holds, re-checked after every call, upload and ack; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** The `chat.postMessage` calls so far. */
  posts(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-fake-bot-token';
  const appToken = options.appToken ?? 'xapp-fake-app-token';
  const calls: SlackApiCall[] = [];
  const uploads = new Map<string, SlackUpload>();
  const acks: SlackAck[] = [];
  const responses: Array<Record<string, unknown>> = [];
  const changes = new EventEmitter();
  changes.setMaxListeners(100);
  let tsCounter = 0;
  let fileCounter = 0;
  let socket: WebSocket | undefined;
  let onConnected: () => void = () => {};
  const connectedPromise = new Promise<void>((resolve) => (onConnected = resolve));

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, sock, head) => {
    if (!req.url?.startsWith('/socket')) {
      sock.destroy();
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as SlackAck;
        if (typeof msg.envelope_id === 'string') {
          acks.push({ envelope_id: msg.envelope_id, payload: msg.payload ?? {} });
          changes.emit('change');
        }
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0FAKE' }, debug_info: { host: 'fake' } }));
      onConnected();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/upload/')) {
      const fileId = url.pathname.slice('/upload/'.length);
      const upload = uploads.get(fileId);
      if (!upload) return sendJson(res, 404, { ok: false, error: 'unknown_upload' });
      // The Web API client posts the file as a multipart form with a single `body` field (or raw bytes).
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('multipart/form-data')) {
        const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
        const part = form.get('body') ?? form.get('file');
        upload.bytes = part instanceof Blob ? Buffer.from(await part.arrayBuffer()) : Buffer.from(String(part ?? ''));
      } else {
        upload.bytes = raw;
      }
      changes.emit('change');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${upload.bytes.length}`);
      return;
    }
    if (url.pathname === '/response') {
      responses.push(JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
      changes.emit('change');
      return sendJson(res, 200, { ok: true });
    }
    if (!url.pathname.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: 'not_found' });
    const method = url.pathname.slice('/api/'.length);
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
    const call: SlackApiCall = { method, args, token };
    calls.push(call);
    const reply = (body: Record<string, unknown>): void => {
      call.response = body;
      sendJson(res, 200, body);
      changes.emit('change');
    };
    const wanted = method === 'apps.connections.open' ? appToken : botToken;
    if (token !== wanted) return reply({ ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return reply({ ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'ctgi', team_id: FAKE_TEAM, user_id: FAKE_BOT_USER, bot_id: FAKE_BOT_ID });
      case 'apps.connections.open':
        return reply({ ok: true, url: `ws://127.0.0.1:${port}/socket` });
      case 'chat.postMessage': {
        if (options.notInChannels?.includes(String(args.channel))) return reply({ ok: false, error: 'not_in_channel' });
        const ts = nextTs();
        return reply({ ok: true, channel: args.channel, ts, message: { type: 'message', text: args.text, user: FAKE_BOT_USER, bot_id: FAKE_BOT_ID, ts, thread_ts: args.thread_ts } });
      }
      case 'chat.postEphemeral':
        return reply({ ok: true, message_ts: nextTs() });
      case 'chat.update':
        return reply({ ok: true, channel: args.channel, ts: args.ts, text: args.text });
      case 'files.getUploadURLExternal': {
        const fileId = `F${String(++fileCounter).padStart(6, '0')}`;
        uploads.set(fileId, { fileId, filename: String(args.filename), length: Number(args.length), bytes: Buffer.alloc(0) });
        return reply({ ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const files = (args.files as Array<{ id: string; title?: string }>) ?? [];
        for (const f of files) {
          const upload = uploads.get(f.id);
          if (!upload) return reply({ ok: false, error: 'file_not_found' });
          upload.completed = {
            channel_id: args.channel_id as string | undefined,
            thread_ts: args.thread_ts as string | undefined,
            title: f.title,
            initial_comment: args.initial_comment as string | undefined,
          };
        }
        changes.emit('change');
        return reply({ ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) });
      }
      default:
        return reply({ ok: false, error: 'unknown_method' });
    }
  }

  function nextTs(): string {
    tsCounter++;
    return `1700000000.${String(tsCounter).padStart(6, '0')}`;
  }

  function deliver(envelope: Record<string, unknown>): string {
    if (!socket) throw new Error('No Socket Mode connection yet; await fake.connected() first.');
    socket.send(JSON.stringify(envelope));
    return envelope.envelope_id as string;
  }

  return {
    apiUrl: `${base}/api/`,
    calls,
    uploads,
    acks,
    responses,
    connected: () => connectedPromise,
    sendEvent(event, opts = {}) {
      const eventId = opts.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      return deliver({
        type: 'events_api',
        envelope_id: opts.envelopeId ?? randomUUID(),
        accepts_response_payload: false,
        retry_attempt: opts.retryAttempt ?? 0,
        retry_reason: opts.retryAttempt ? 'timeout' : '',
        payload: {
          token: 'verification-token',
          team_id: FAKE_TEAM,
          api_app_id: 'A0FAKE',
          event: { event_ts: nextTs(), ...event },
          type: 'event_callback',
          event_id: eventId,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: FAKE_TEAM, user_id: FAKE_BOT_USER, is_bot: true }],
        },
      });
    },
    sendSlashCommand(payload) {
      return deliver({
        type: 'slash_commands',
        envelope_id: randomUUID(),
        accepts_response_payload: true,
        payload: { token: 'verification-token', team_id: FAKE_TEAM, api_app_id: 'A0FAKE', trigger_id: `trig.${randomUUID()}`, response_url: `${base}/response`, ...payload },
      });
    },
    sendInteractive(payload) {
      return deliver({
        type: 'interactive',
        envelope_id: randomUUID(),
        accepts_response_payload: false,
        payload: { token: 'verification-token', api_app_id: 'A0FAKE', team: { id: FAKE_TEAM, domain: 'fake' }, trigger_id: `trig.${randomUUID()}`, ...payload },
      });
    },
    waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): boolean => {
          const value = predicate();
          if (value === undefined || value === false) return false;
          cleanup();
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for the fake Slack; calls: ${calls.map((c) => c.method).join(', ')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          changes.off('change', check);
        };
        changes.on('change', check);
        check();
      });
    },
    posts: () => calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args),
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


/** Form-encoded (or JSON) Web API arguments; fields the client JSON-encoded (blocks, files) are decoded. */
function parseArgs(raw: Buffer, contentType: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType.startsWith('application/json')) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

