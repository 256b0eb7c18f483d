// Access-control primitives of the web chat: loopback detection, token comparison, Host/Origin checks and the
// response headers every answer carries.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Compares a presented token with the configured one in constant time (both are hashed first, so lengths never leak). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

/**
 * The Host header values a loopback-bound server accepts. Anything else is refused, which defeats DNS
 * rebinding: a hostile page whose name resolves to 127.0.0.1 still sends its own name as Host.
 */
export function loopbackHostNames(port: number): Set<string> {
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`));
}

/** Whether a browser POST comes from the page itself: no Origin header (non-browser clients) or the same host. */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

/** The content security policy: scripts, styles and images only from this server, no framing, no inline script. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets the headers every response carries. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  // Surveillance images and conversation state must not linger in shared or disk caches.
  res.setHeader('Cache-Control', 'no-store');
}

/** An address as the limits see it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4. */
export function normaliseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/**
 * Where a request comes from: the socket's peer, or, when that peer is a trusted reverse proxy, the nearest
 * X-Forwarded-For hop that is not itself a trusted proxy (earlier hops are the client's own claims).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  let address = normaliseAddress(req.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.has(address)) return address;
  const hops = forwardedFor(req);
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i]!;
    if (!trustedProxies.has(address)) return address;
  }
  return address;
}

/** Whether the browser reached us over TLS: only a trusted proxy's `X-Forwarded-Proto: https` says so. */
export function viaTls(req: IncomingMessage, trustedProxies: ReadonlySet<string>): boolean {
  if (!trustedProxies.has(normaliseAddress(req.socket.remoteAddress ?? ''))) return false;
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  return proto === 'https';
}

/**
 * The key per-address limits count under: an IPv4 address as is, an IPv6 address by its /64 network (one
 * host usually holds a whole /64, so counting single addresses would not limit it at all).
 */
export function addressKey(address: string): string {
  const a = normaliseAddress(address);
  if (isIP(a) !== 6 || a.includes('.')) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function forwardedFor(req: IncomingMessage): string[] {
  const header = req.headers['x-forwarded-for'];
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((h) => normaliseAddress(h.replace(/^\[|\](:\d+)?$/g, '')))
    .filter((h) => isIP(h) !== 0);
}
