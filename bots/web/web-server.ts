// The web chat server (the default front end): node:http, no framework. Binds loopback by default; any other
// address needs an access token. The request handling lives in web-chat-handler.ts.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { WebConfig } from '../../src/config/config.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { SqliteSessionPersistence } from './sqlite-session-persistence.js';
import { STATIC_FILES, WebChatHandler, type WebChatOptions, type WebChatStats } from './web-chat-handler.js';
import { isLoopbackHost, normaliseAddress } from './web-security.js';
import { WitnessPages } from './witness-page-handler.js';

export interface WebServerOptions extends WebChatOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** SQLite file that keeps sessions across restarts (`<CTGI_HOME>/web-sessions.sqlite` in `ctgi serve`). */
  sessionsFile?: string;
  /** Sockets open at once; more are closed on arrival (default 1024, well above the event-stream cap). */
  maxConnections?: number;
}

/** A running web chat. */
export interface WebServer {
  /** `http://host:port/` as a browser on this machine would open it (loopback for a wildcard bind). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Sessions, open event streams and open sockets right now. */
  stats(): WebChatStats & { connections: number };
  /** Stops listening, ends live event streams and unsubscribes from the service (which stays open). */
  close(): Promise<void>;
}

/**
 * Starts the web chat over `service`.
 * @throws CtgiError CONFIG_INVALID when binding a non-loopback host without a token.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  if (!loopback && !options.token) {
    throw new CtgiError('CONFIG_INVALID', `Refusing to serve the web chat on ${host} without an access token: set CTGI_WEB_TOKEN (16+ characters), or bind to 127.0.0.1.`);
  }
  const staticFiles = await loadStatic();
  const persistence = options.sessionPersistence ?? (options.sessionsFile ? SqliteSessionPersistence.open(options.sessionsFile) : undefined);
  const witnessPages = options.witnessLinks
    ? await WitnessPages.load({ links: options.witnessLinks, service: options.service, trustedProxies: new Set((options.trustedProxies ?? []).map(normaliseAddress)), audit: options.audit, log: options.log })
    : undefined;
  const app = new WebChatHandler({ ...options, sessionPersistence: persistence }, staticFiles, witnessPages);
  const server = createServer((req, res) => void app.handle(req, res));
  // Slow clients cannot hold sockets forever while sending headers or a body, nor keep a silent socket open:
  // live event streams write a keep-alive comment every heartbeat, well within the inactivity timeout.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.timeout = Math.max(120_000, 3_000 * (options.heartbeatSeconds ?? 20));
  // Event streams are capped far below this (web-streams.ts), so the flood that reaches it holds no stream.
  server.maxConnections = options.maxConnections ?? 1024;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new CtgiError('CONFIG_INVALID', `Cannot listen on ${host}:${options.port ?? 3000} (${err.code ?? err.message}): pick another port with --port.`, { cause: err })),
    );
    server.listen(options.port ?? 3000, host, () => done());
  }).catch(async (err: unknown) => {
    await app.stop();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  app.listening(port, loopback);
  // A wildcard bind is reached from this machine through loopback; other machines use its own address.
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shownHost = local.includes(':') ? `[${local}]` : local;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    host,
    stats: () => ({ ...app.stats(), connections: sockets.size }),
    close: async () => {
      const stopped = app.stop();
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
      });
      await stopped;
    },
  };
}

/** The server options that come from the configuration (`ctgi serve`): limits, trusted proxies, session file. */
export function webServerOptions(web: WebConfig): Partial<WebServerOptions> {
  return {
    sessionsFile: web.sessionsFile,
    trustedProxies: web.trustedProxies,
    heartbeatSeconds: web.heartbeatSeconds,
    streamLimits: { idleMs: web.streamIdleSeconds * 1000, maxStreams: web.maxStreams, maxPerAddress: web.maxStreamsPerAddress },
    sessionLimits: { maxPerAddress: web.maxSessionsPerAddress },
  };
}

/** The page's files, read once at start-up. */
async function loadStatic(): Promise<Map<string, Buffer>> {
  const dir = fileURLToPath(new URL('./static/', import.meta.url));
  const files = new Map<string, Buffer>();
  for (const name of new Set(Object.values(STATIC_FILES))) files.set(name, await readFile(`${dir}${name}`));
  return files;
}
