// An event-stream flood against the web chat, as the attack in issue 17 ran it: `connections` requests for
// GET /api/events without cookies kept in flight at once, each re-sent as soon as it ends or fails. A stream
// the server accepts is held open.
import { request, type ClientRequest } from 'node:http';

export interface Flood {
  /** Responses by status code, and failed connections under "error". */
  readonly outcomes: Map<string, number>;
  /** Requests answered or failed so far. */
  readonly finished: () => number;
  /** Resolves once `n` requests have been answered or failed. */
  until(n: number): Promise<void>;
  /** Ends every attacking connection. */
  stop(): void;
}

/** Starts the flood against `base` (the chat's URL). */
export function startFlood(base: string, connections: number, options: { path?: string; localAddress?: string } = {}): Flood {
  const url = new URL(options.path ?? '/api/events', base);
  const outcomes = new Map<string, number>();
  const open = new Set<ClientRequest>();
  let finished = 0;
  let stopped = false;
  const waiters: Array<{ n: number; done: () => void }> = [];
  const count = (key: string): void => {
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    finished++;
    for (const w of waiters.filter((x) => finished >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.done();
    }
  };
  const fire = (): void => {
    if (stopped) return;
    let again = true;
    const retry = (delayMs: number): void => {
      if (!again) return;
      again = false;
      open.delete(req);
      setTimeout(fire, delayMs).unref();
    };
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent: false, localAddress: options.localAddress }, (res) => {
      count(String(res.statusCode));
      // An accepted stream is held (read, so the server's pings never back up); anything else is re-sent.
      res.resume();
      res.on('close', () => retry(0));
    });
    req.on('error', () => {
      count('error');
      // A reset connection is retried a little later, as a script in a loop would.
      retry(5);
    });
    req.on('close', () => retry(0));
    open.add(req);
    req.end();
  };
  for (let i = 0; i < connections; i++) fire();
  return {
    outcomes,
    finished: () => finished,
    until: (n) => new Promise((done) => (finished >= n ? done() : waiters.push({ n, done }))),
    stop: () => {
      stopped = true;
      for (const req of open) req.destroy();
      open.clear();
    },
  };
}
