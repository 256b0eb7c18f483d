// npm run bench:web [-- --attackers 600 --searches 5 --identities 60]
// Starts the real web chat over a small demo world (the real conversation service, its demo MLLM) and
// measures side by side in one run a normal user's search latency (POST /api/start → the first gallery,
// answering each question with its first option) with no attack and while another process keeps
// `--attackers` cookieless GET /api/events requests in flight (issue 17, item 1). Every user request opens a
// new connection, as a new tab or a browser whose kept-alive connection expired would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { BotEvents } from '../src/conversation/conversation-types.js';
import { openConversationService } from '../app/open-service.js';
import { startWebServer } from '../bots/web/web-server.js';
import { loadConfig } from '../src/config/config.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { startFlood } from '../test/helpers/web-flood.js';
import { WebClient } from '../test/helpers/web-http.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const ATTACKERS = arg('attackers', 600);
const SEARCHES = arg('searches', 5);
const IDENTITIES = arg('identities', 60);
const DESCRIPTIONS = ['a woman in a red coat with a black shoulder bag', 'a man in a blue jacket and grey trousers', 'a tall man with a backpack', 'a woman with long hair in a white shirt'];

const log = (s: string) => process.stdout.write(`${s}\n`);
const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The attacker, run as its own process (`--flood URL N`): floods until stdin closes, then prints its tally. */
async function floodProcess(url: string, connections: number): Promise<void> {
  const flood = startFlood(url, connections);
  await flood.until(connections);
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'end');
  flood.stop();
  process.stdout.write(`${JSON.stringify({ finished: flood.finished(), outcomes: Object.fromEntries(flood.outcomes) })}\n`);
}

/** Starts the attacking process; resolves once its first `connections` requests were answered. */
async function startAttacker(url: string, connections: number): Promise<{ stop: () => Promise<{ finished: number; outcomes: Record<string, number> }> }> {
  const child = spawn(process.execPath, [resolve('bin/run-ts.js'), resolve('bench/web.bench.ts'), '--flood', url, String(connections)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error(`The attacking process did not start: ${String(first.value)}`);
  return {
    stop: async () => {
      child.stdin.end();
      const tally = await lines.next();
      await once(child, 'exit');
      return JSON.parse(String(tally.value)) as { finished: number; outcomes: Record<string, number> };
    },
  };
}

/** One search by a new browser session: page load, description, answers until the first gallery. */
async function searchOnce(url: string, description: string): Promise<number> {
  const user = new WebClient(url);
  if ((await user.get('/')).status !== 200) throw new Error('The page did not load.');
  const t0 = performance.now();
  let events = await user.events<BotEvents>('/api/start', { text: description });
  for (let step = 0; step < 12; step++) {
    if (events.some((e) => e.kind === 'gallery')) return performance.now() - t0;
    const question = events.find((e) => e.kind === 'question');
    if (!question || question.kind !== 'question') throw new Error(`No question and no gallery: ${JSON.stringify(events)}`);
    events = await user.events<BotEvents>('/api/answer', { text: question.options[0]?.value ?? "don't know" });
  }
  throw new Error('No gallery after 12 answers.');
}

async function main(): Promise<void> {
  const home = await makeTempDir('bench-web');
  try {
    log(`Building the demo world (${IDENTITIES} people) in a temp CTGI_HOME…`);
    const t0 = performance.now();
    const service = await openConversationService({ config: loadConfig({ CTGI_HOME: home.dir }), demoIdentities: IDENTITIES });
    log(`  ready in ${ms(performance.now() - t0)}`);
    const web = await startWebServer({ service, port: 0 });
    try {
      // One warm-up search (model sessions, caches) counts for neither column.
      await searchOnce(web.url, DESCRIPTIONS[0]!);
      const quiet: number[] = [];
      for (let i = 0; i < SEARCHES; i++) quiet.push(await searchOnce(web.url, DESCRIPTIONS[i % DESCRIPTIONS.length]!));
      log(`Flooding with ${ATTACKERS} cookieless GET /api/events from another process…`);
      const attacker = await startAttacker(web.url, ATTACKERS);
      const flooded: number[] = [];
      let failures = 0;
      let tally: { finished: number; outcomes: Record<string, number> };
      const during = { sessions: 0, streams: 0, connections: 0 };
      try {
        for (let i = 0; i < SEARCHES; i++) {
          try {
            flooded.push(await searchOnce(web.url, DESCRIPTIONS[i % DESCRIPTIONS.length]!));
          } catch (err) {
            failures++;
            log(`  search failed under the flood: ${(err as Error).message}`);
          }
          const s = web.stats();
          during.sessions = Math.max(during.sessions, s.sessions);
          during.streams = Math.max(during.streams, s.streams);
          during.connections = Math.max(during.connections, s.connections);
        }
      } finally {
        tally = await attacker.stop();
      }
      log('');
      log(`search latency, start → first gallery (median of ${SEARCHES}, each on a new session and new connections)`);
      log(`  no attack:              ${ms(median(quiet))}   (all: ${quiet.map(ms).join(', ')})`);
      log(`  ${String(ATTACKERS).padEnd(4)} attacking streams:  ${flooded.length > 0 ? ms(median(flooded)) : 'n/a'}   (all: ${flooded.map(ms).join(', ')}; failed: ${failures})`);
      if (flooded.length > 0) log(`  ratio flooded / quiet:  ${(median(flooded) / median(quiet)).toFixed(2)}×`);
      log(`attacking requests answered: ${tally.finished} (${Object.entries(tally.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')})`);
      log(`server during the flood (max): ${during.sessions} sessions, ${during.streams} streams, ${during.connections} sockets`);
    } finally {
      await web.close();
      await service.close();
    }
  } finally {
    await home.cleanup();
  }
}

const flood = process.argv.indexOf('--flood');
await (flood > 0 ? floodProcess(process.argv[flood + 1]!, Number(process.argv[flood + 2])) : main());
