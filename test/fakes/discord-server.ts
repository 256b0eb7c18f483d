// A local stand-in for Discord: the REST API the bot uses (gateway discovery, interaction callbacks and
// webhooks, threads, channel messages with multipart attachments, command registration) and a JSON,
// uncompressed gateway that speaks HELLO / IDENTIFY / READY / GUILD_CREATE / heartbeat ACK and dispatches
// INTERACTION_CREATE, MESSAGE_CREATE and THREAD_CREATE. Point discord.js at it with
// `rest: { api: fake.apiBase }`; the gateway URL comes from `GET /gateway/bot`.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody, sendJson } from './http-util.js';

export const FAKE_APP_ID = '800000000000000001';
export const FAKE_BOT_ID = '800000000000000002';
export const FAKE_GUILD_ID = '900000000000000001';
/** Text channels in the fake guild. */
export const FAKE_CHANNELS = { allowed: '900000000000000010', other: '900000000000000011' } as const;
/** Roles in the fake guild (besides @everyone, whose id is the guild id). */
export const FAKE_ROLES = { security: '900000000000000020', visitor: '900000000000000021' } as const;
export const MESSAGE_CONTENT_INTENT = 1 << 15;

/** A file that arrived in a multipart request. */
export interface FakeFile {
  field: string;
  name: string;
  contentType: string;
  bytes: Buffer;
}

/** One REST request: method, path below `/api/v10`, JSON body (or `payload_json`), files. */
export interface DiscordRequest {
  method: string;
  path: string;
  query: string;
  body: Record<string, unknown> | undefined;
  files: FakeFile[];
  auth: string | undefined;
}

/** A message as the fake stores it; `files` keeps the uploaded bytes of its attachments. */
export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  components: unknown[];
  files: FakeFile[];
  /** Interaction replies with the ephemeral flag (64). */
  ephemeral: boolean;
  author_id: string;
}

export interface FakeThread {
  id: string;
  parent_id: string;
  name: string;
  /** The message the thread was started from, if any. */
  message_id: string | undefined;
}

/** An interaction callback the bot sent (type 4 reply, 5 deferred reply, 6 deferred update, 7 update). */
export interface FakeCallback {
  interactionId: string;
  type: number;
  data: Record<string, unknown> | undefined;
  files: FakeFile[];
}

/** Who acts in the fake guild. */
export interface FakeMember {
  id: string;
  username: string;
  roles: string[];
}

export interface FakeDiscordOptions {
  token?: string;
  /** Gateway intents that make IDENTIFY fail with close code 4014 (e.g. MESSAGE_CONTENT_INTENT). */
  disallowedIntents?: number;
  /** HELLO's heartbeat interval in ms (default 1000, so tests see heartbeats). */
  heartbeatInterval?: number;
}

export interface FakeDiscord {
  /** What discord.js's `rest.api` should be. */
  apiBase: string;
  requests: DiscordRequest[];
  messages: FakeMessage[];
  threads: FakeThread[];
  callbacks: FakeCallback[];
  /** Registered command sets by scope (`global` or a guild id). */
  commands: Map<string, unknown[]>;
  /** Every IDENTIFY payload received. */
  identifies: Array<{ intents: number; token: string }>;
  heartbeats: number;
  /** Switches for faults; mutate between steps of a test. */
  faults: { denyThreads: boolean };
  /** Resolves once a client has identified and been sent READY and GUILD_CREATE. */
  ready(): Promise<void>;
  /** Dispatches a /search (or other chat-input) command; returns the interaction id. */
  sendCommand(args: { name: string; options: Record<string, string>; channelId: string; member: FakeMember }): string;
  /** Dispatches a button click on `message`; returns the interaction id. */
  clickButton(args: { message: FakeMessage; customId: string; member: FakeMember }): string;
  /** Dispatches MESSAGE_CREATE for a member's message in a channel or thread; returns its id. */
  sendMessage(args: { channelId: string; content: string; member: FakeMember }): string;
  /** Resolves when `predicate` holds, re-checked after every request and gateway message; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? 'fake-discord-token';
  const requests: DiscordRequest[] = [];
  const messages: FakeMessage[] = [];
  const threads: FakeThread[] = [];
  const callbacks: FakeCallback[] = [];
  const commands = new Map<string, unknown[]>();
  const identifies: Array<{ intents: number; token: string }> = [];
  const changes = new EventEmitter();
  changes.setMaxListeners(100);
  let heartbeats = 0;
  const faults = { denyThreads: false };
  let seq = 0;
  let nextId = 1000n;
  const snowflake = (): string => String(BigInt('950000000000000000') + nextId++);
  let socket: WebSocket | undefined;
  let onReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (onReady = resolve));
  /** Interaction id → its token, channel and (for components) message. */
  const interactions = new Map<string, { token: string; channelId: string; messageId?: string }>();
  /** Webhook token → the @original message id. */
  const originals = new Map<string, string>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => sendJson(res, 500, { message: String(err), code: 0 }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, sock, head) => {
    if (!req.url?.startsWith('/gateway')) {
      sock.destroy();
      return;
    }
    const params = new URL(req.url, 'http://x').searchParams;
    wss.handleUpgrade(req, sock, head, (ws) => {
      if (params.get('encoding') !== 'json' || params.has('compress')) {
        ws.close(4002, 'The fake gateway speaks uncompressed JSON only');
        return;
      }
      socket = ws;
      ws.on('message', (raw) => onGateway(ws, JSON.parse(String(raw)) as { op: number; d: unknown }));
      ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: options.heartbeatInterval ?? 1000 }, s: null, t: null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const botUser = { id: FAKE_BOT_ID, username: 'ctgi', discriminator: '0', global_name: 'ctgi', avatar: null, bot: true };
  const textChannel = (id: string, name: string) => ({ id, type: 0, guild_id: FAKE_GUILD_ID, name, position: 0, permission_overwrites: [], parent_id: null, nsfw: false, topic: null, last_message_id: null, rate_limit_per_user: 0 });
  const channels = [textChannel(FAKE_CHANNELS.allowed, 'security'), textChannel(FAKE_CHANNELS.other, 'general')];
  const role = (id: string, name: string, position: number) => ({ id, name, position, permissions: '0', color: 0, hoist: false, managed: false, mentionable: false, flags: 0 });

  function dispatch(t: string, d: unknown): void {
    if (!socket) throw new Error('No gateway connection yet; await fake.ready() first.');
    socket.send(JSON.stringify({ op: 0, t, s: ++seq, d }));
  }

  function onGateway(ws: WebSocket, msg: { op: number; d: unknown }): void {
    if (msg.op === 1) {
      heartbeats++;
      ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    } else if (msg.op === 2) {
      const d = msg.d as { token: string; intents: number };
      identifies.push({ intents: d.intents, token: d.token });
      if (d.token !== token) return ws.close(4004, 'Authentication failed');
      if (options.disallowedIntents && d.intents & options.disallowedIntents) return ws.close(4014, 'Disallowed intent(s)');
      dispatch('READY', {
        v: 10,
        user: botUser,
        guilds: [{ id: FAKE_GUILD_ID, unavailable: true }],
        session_id: `session-${identifies.length}`,
        resume_gateway_url: `ws://127.0.0.1:${port}/gateway`,
        shard: [0, 1],
        application: { id: FAKE_APP_ID, flags: 0 },
      });
      dispatch('GUILD_CREATE', {
        id: FAKE_GUILD_ID,
        name: 'Fake Guild',
        icon: null,
        owner_id: '800000000000000099',
        afk_timeout: 300,
        verification_level: 0,
        default_message_notifications: 0,
        explicit_content_filter: 0,
        features: [],
        mfa_level: 0,
        premium_tier: 0,
        preferred_locale: 'en-US',
        nsfw_level: 0,
        joined_at: new Date().toISOString(),
        large: false,
        unavailable: false,
        member_count: 3,
        roles: [role(FAKE_GUILD_ID, '@everyone', 0), role(FAKE_ROLES.security, 'security', 1), role(FAKE_ROLES.visitor, 'visitor', 2)],
        emojis: [],
        stickers: [],
        channels,
        threads: [],
        members: [{ user: botUser, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }],
        presences: [],
        voice_states: [],
        stage_instances: [],
        guild_scheduled_events: [],
        soundboard_sounds: [],
      });
      onReady();
    }
    changes.emit('change');
  }

  function channelPayload(channelId: string): Record<string, unknown> {
    const thread = threads.find((t) => t.id === channelId);
    if (thread) return threadPayload(thread);
    return channels.find((c) => c.id === channelId) ?? textChannel(channelId, 'unknown');
  }

  function threadPayload(t: FakeThread): Record<string, unknown> {
    return {
      id: t.id,
      type: 11,
      guild_id: FAKE_GUILD_ID,
      parent_id: t.parent_id,
      name: t.name,
      owner_id: FAKE_BOT_ID,
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      flags: 0,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    };
  }

  function messagePayload(m: FakeMessage): Record<string, unknown> {
    return {
      id: m.id,
      type: 0,
      channel_id: m.channel_id,
      guild_id: FAKE_GUILD_ID,
      author: m.author_id === FAKE_BOT_ID ? botUser : { id: m.author_id, username: 'someone', discriminator: '0', avatar: null },
      content: m.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.files.map((f, i) => ({ id: `${m.id}${i}`, filename: f.name, size: f.bytes.length, url: `${base}/attachments/${m.id}/${i}`, proxy_url: `${base}/attachments/${m.id}/${i}`, content_type: f.contentType })),
      embeds: [],
      pinned: false,
      components: m.components,
      flags: m.ephemeral ? 64 : 0,
    };
  }

  function memberPayload(member: FakeMember): Record<string, unknown> {
    return {
      user: { id: member.id, username: member.username, discriminator: '0', global_name: member.username, avatar: null },
      roles: member.roles,
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: '2248473465835073',
    };
  }

  /** The fields every guild interaction carries (type 2: slash command, 3: component click). */
  function interactionPayload(id: string, token: string, type: 2 | 3, channelId: string, member: FakeMember): Record<string, unknown> {
    return {
      id,
      application_id: FAKE_APP_ID,
      type,
      token,
      version: 1,
      guild_id: FAKE_GUILD_ID,
      channel_id: channelId,
      channel: channelPayload(channelId),
      member: memberPayload(member),
      app_permissions: '2248473465835073',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': FAKE_GUILD_ID },
      context: 0,
    };
  }

  /** Creates a message from a create/edit body; bot messages in guild channels are echoed as MESSAGE_CREATE. */
  function storeMessage(channelId: string, body: Record<string, unknown> | undefined, files: FakeFile[], options: { ephemeral?: boolean; echo?: boolean } = {}): FakeMessage {
    const m: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      content: String(body?.content ?? ''),
      components: (body?.components as unknown[]) ?? [],
      files,
      ephemeral: options.ephemeral ?? false,
      author_id: FAKE_BOT_ID,
    };
    messages.push(m);
    if (options.echo !== false && !m.ephemeral && socket) dispatch('MESSAGE_CREATE', { ...messagePayload(m), member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false } });
    return m;
  }

  function editMessage(m: FakeMessage, body: Record<string, unknown> | undefined, files: FakeFile[]): void {
    if (body && 'content' in body) m.content = String(body.content ?? '');
    if (body && 'components' in body) m.components = (body.components as unknown[]) ?? [];
    if (files.length > 0) m.files = files;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    const { body, files } = await parseBody(raw, req.headers['content-type'] ?? '');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v\d+/, '');
    const record: DiscordRequest = { method: req.method ?? 'GET', path, query: url.search, body, files, auth: req.headers.authorization };
    requests.push(record);
    try {
      await route(record, res);
    } finally {
      changes.emit('change');
    }
  }

  async function route(r: DiscordRequest, res: ServerResponse): Promise<void> {
    const m = (re: RegExp): RegExpExecArray | null => re.exec(r.path);
    let match: RegExpExecArray | null;
    // Interaction callbacks and webhooks authenticate with the interaction token in the path.
    if (r.method === 'POST' && (match = m(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      const interaction = interactions.get(match[1]);
      if (!interaction || interaction.token !== match[2]) return sendJson(res, 404, { message: 'Unknown interaction', code: 10062 });
      const type = Number(r.body?.type);
      const data = r.body?.data as Record<string, unknown> | undefined;
      callbacks.push({ interactionId: match[1], type, data, files: r.files });
      let message: FakeMessage | undefined;
      if (type === 4) {
        message = storeMessage(interaction.channelId, data, r.files, { ephemeral: ((Number(data?.flags) || 0) & 64) !== 0 });
        originals.set(interaction.token, message.id);
      } else if ((type === 6 || type === 7) && interaction.messageId) {
        // After (deferred) updating a component's message, @original is that message.
        originals.set(interaction.token, interaction.messageId);
        message = messages.find((x) => x.id === interaction.messageId);
        if (message && type === 7) editMessage(message, data, r.files);
      }
      if (r.query.includes('with_response=true')) {
        return sendJson(res, 200, { interaction: { id: match[1], type: 2 }, resource: { type, ...(message ? { message: messagePayload(message) } : {}) } });
      }
      return sendEmpty(res);
    }
    if ((match = m(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/))) {
      const interaction = [...interactions.values()].find((i) => i.token === match![2]);
      if (!interaction || match[1] !== FAKE_APP_ID) return sendJson(res, 404, { message: 'Unknown webhook', code: 10015 });
      let original = messages.find((x) => x.id === originals.get(interaction.token));
      if (r.method === 'PATCH') {
        if (!original) {
          // The deferred reply's placeholder becomes a real message on its first edit.
          original = storeMessage(interaction.channelId, r.body, r.files);
          originals.set(interaction.token, original.id);
        } else {
          editMessage(original, r.body, r.files);
        }
      }
      if (!original) return sendJson(res, 404, { message: 'Unknown message', code: 10008 });
      return sendJson(res, 200, messagePayload(original));
    }
    if (r.method === 'POST' && (match = m(/^\/webhooks\/(\d+)\/([^/]+)$/))) {
      const interaction = [...interactions.values()].find((i) => i.token === match![2]);
      if (!interaction) return sendJson(res, 404, { message: 'Unknown webhook', code: 10015 });
      const message = storeMessage(interaction.channelId, r.body, r.files, { ephemeral: ((Number(r.body?.flags) || 0) & 64) !== 0 });
      return sendJson(res, 200, messagePayload(message));
    }
    // Everything else needs the bot token.
    if (r.auth !== `Bot ${token}`) return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });
    if (r.method === 'GET' && r.path === '/gateway/bot') {
      return sendJson(res, 200, { url: `ws://127.0.0.1:${port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    if ((match = m(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/)) && r.method === 'PUT') {
      if (match[1] !== FAKE_APP_ID) return sendJson(res, 403, { message: 'Missing Access', code: 50001 });
      const list = (r.body as unknown as Array<Record<string, unknown>>).map((c) => ({ ...c, id: snowflake(), application_id: FAKE_APP_ID, version: '1' }));
      commands.set(match[2] ?? 'global', list);
      return sendJson(res, 200, list);
    }
    if (faults.denyThreads && r.method === 'POST' && /\/threads$/.test(r.path)) return sendJson(res, 403, { message: 'Missing Permissions', code: 50013 });
    if (r.method === 'POST' && (match = m(/^\/channels\/(\d+)\/messages\/(\d+)\/threads$/))) {
      const thread: FakeThread = { id: snowflake(), parent_id: match[1], name: String(r.body?.name ?? ''), message_id: match[2] };
      threads.push(thread);
      dispatch('THREAD_CREATE', { ...threadPayload(thread), newly_created: true });
      return sendJson(res, 201, threadPayload(thread));
    }
    if (r.method === 'POST' && (match = m(/^\/channels\/(\d+)\/threads$/))) {
      const thread: FakeThread = { id: snowflake(), parent_id: match[1], name: String(r.body?.name ?? ''), message_id: undefined };
      threads.push(thread);
      dispatch('THREAD_CREATE', { ...threadPayload(thread), newly_created: true });
      return sendJson(res, 201, threadPayload(thread));
    }
    if (r.method === 'POST' && (match = m(/^\/channels\/(\d+)\/messages$/))) {
      return sendJson(res, 200, messagePayload(storeMessage(match[1], r.body, r.files)));
    }
    if (r.method === 'PATCH' && (match = m(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      const message = messages.find((x) => x.id === match![2] && x.channel_id === match![1]);
      if (!message) return sendJson(res, 404, { message: 'Unknown Message', code: 10008 });
      editMessage(message, r.body, r.files);
      return sendJson(res, 200, messagePayload(message));
    }
    if (r.method === 'GET' && (match = m(/^\/channels\/(\d+)$/))) return sendJson(res, 200, channelPayload(match[1]));
    return sendJson(res, 404, { message: `The fake has no route for ${r.method} ${r.path}`, code: 0 });
  }

  function newInteraction(channelId: string, messageId?: string): { id: string; token: string } {
    const id = snowflake();
    const t = `itoken-${id}`;
    interactions.set(id, { token: t, channelId, messageId });
    return { id, token: t };
  }

  return {
    apiBase: `${base}/api`,
    requests,
    messages,
    threads,
    callbacks,
    commands,
    identifies,
    faults,
    get heartbeats() {
      return heartbeats;
    },
    ready: () => readyPromise,
    sendCommand({ name, options: opts, channelId, member }) {
      const { id, token: t } = newInteraction(channelId);
      dispatch('INTERACTION_CREATE', {
        ...interactionPayload(id, t, 2, channelId, member),
        data: { id: '700000000000000001', name, type: 1, options: Object.entries(opts).map(([k, v]) => ({ name: k, type: 3, value: v })) },
      });
      return id;
    },
    clickButton({ message, customId, member }) {
      const { id, token: t } = newInteraction(message.channel_id, message.id);
      dispatch('INTERACTION_CREATE', {
        ...interactionPayload(id, t, 3, message.channel_id, member),
        message: messagePayload(message),
        data: { custom_id: customId, component_type: 2 },
      });
      return id;
    },
    sendMessage({ channelId, content, member }) {
      const id = snowflake();
      const m: FakeMessage = { id, channel_id: channelId, content, components: [], files: [], ephemeral: false, author_id: member.id };
      const payload = messagePayload(m);
      dispatch('MESSAGE_CREATE', {
        ...payload,
        author: { id: member.id, username: member.username, discriminator: '0', global_name: member.username, avatar: null },
        member: { roles: member.roles, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
      });
      return id;
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
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for the fake Discord; requests: ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          changes.off('change', check);
        };
        changes.on('change', check);
        check();
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


/** JSON, or multipart with `payload_json` plus `files[n]` parts. */
async function parseBody(raw: Buffer, contentType: string): Promise<{ body: Record<string, unknown> | undefined; files: FakeFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const files: FakeFile[] = [];
    let body: Record<string, unknown> | undefined;
    for (const [field, value] of form.entries()) {
      if (field === 'payload_json') body = JSON.parse(String(value)) as Record<string, unknown>;
      else if (value instanceof Blob) files.push({ field, name: (value as File).name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
    return { body, files };
  }
  return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
}


function sendEmpty(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
