import type { IncomingMessage, ServerResponse } from 'node:http';

// Slack signs `v0:<timestamp>:<body>`; Bolt rejects timestamps more than five minutes old but accepts any in
// the future, so a signed request captured once could be replayed later if it was dated ahead. We accept a
// window of five minutes either way.

/** Largest accepted difference between a request's timestamp and our clock, in seconds. */
export const MAX_REQUEST_SKEW_SECONDS = 5 * 60;

/** Whether an `X-Slack-Request-Timestamp` value (seconds) lies within the skew window around `nowMs`. */
export function requestTimestampFresh(header: string | string[] | undefined, nowMs: number, maxSkewSeconds = MAX_REQUEST_SKEW_SECONDS): boolean {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) return false;
  return Math.abs(Number(header) - nowMs / 1000) <= maxSkewSeconds;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Wraps a request listener so requests outside the timestamp window are answered 401 before anything else reads them. */
export function rejectStaleRequests(inner: Listener, log: (line: string) => void, now: () => number = Date.now): Listener {
  return (req, res) => {
    if (req.method === 'POST' && !requestTimestampFresh(req.headers['x-slack-request-timestamp'], now())) {
      log(`Slack: rejected a request whose timestamp is missing or more than ${MAX_REQUEST_SKEW_SECONDS / 60} minutes off our clock.`);
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Request timestamp outside the accepted window.');
      return;
    }
    inner(req, res);
  };
}
