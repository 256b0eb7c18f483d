// `ctgi serve` end to end in-process (runServe with the scripted service) and as a real process.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebServer } from '../../bots/web/web-server.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { runServe } from '../../app/cli/commands/serve.command.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { cliContext, spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { progressPrinter } from '../../app/cli/runtime.js';

let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  temp = await makeTempDir('web-serve');
});

afterAll(async () => {
  await temp.cleanup();
});

function context(env: Record<string, string>): { ctx: CliContext; out: () => string; err: () => string } {
  return cliContext(env);
}

describe('ctgi serve', () => {
  it('prints the URL with the demo label and progress, serves, records the dialogue, and closes everything on stop', async () => {
    const home = join(temp.dir, 'home');
    const { ctx, out, err } = context({ CTGI_HOME: home, CTGI_WEB_PORT: '0' });
    let stop!: () => void;
    const stopped = new Promise<void>((done) => (stop = done));
    let service: ScriptedConversationService | undefined;
    let web: WebServer | undefined;
    const running = runServe(ctx, {}, {
      stopped,
      open: async ({ audit, onProgress }) => {
        onProgress?.('rendering demo people', 0.05);
        onProgress?.('rendering demo people', 0.5);
        onProgress?.('indexing demo gallery', 1);
        service = await ScriptedConversationService.create({ audit });
        return service;
      },
      onListening: (w) => (web = w),
    });
    await expect.poll(() => web).toBeDefined();
    expect(out()).toMatch(/^ctgi web chat: http:\/\/127\.0\.0\.1:\d+\/ {2}\(demo data/);
    expect(err()).toContain('rendering demo people 50%');
    expect(err()).toContain('indexing demo gallery 100%');

    const page = await fetch(web!.url);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const res = await fetch(`${web!.url}api/start`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'a man in a red coat' }) });
    expect(res.status).toBe(200);

    stop();
    await running;
    expect(out()).toContain('Stopping the web chat.');
    expect(service!.closed).toBe(true);
    await expect(fetch(web!.url)).rejects.toThrow();
    const store = AuditStore.openReadOnly(join(home, 'audit.sqlite'));
    try {
      const rows = [...store.records()];
      expect(rows.map((r) => r.kind)).toEqual(['description', 'question']);
      expect(rows[0]!.thread).toMatch(/^web:/);
    } finally {
      store.close();
    }
  });

  it('refuses a non-loopback host without a token before opening the service', async () => {
    const { ctx } = context({ CTGI_HOME: join(temp.dir, 'home2') });
    let opened = false;
    await expect(
      runServe(ctx, { host: '0.0.0.0', port: 0 }, { stopped: new Promise(() => {}), open: async () => ((opened = true), ScriptedConversationService.create()) }),
    ).rejects.toThrow(/CTGI_WEB_TOKEN/);
    expect(opened).toBe(false);
  });

  it('says so in one line and exits 1 as a real process', async () => {
    const r = await spawnCtgi(['serve', '--host', '0.0.0.0', '--port', '0'], { CTGI_HOME: join(temp.dir, 'home3') });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ctgi: Refusing to serve the web chat on 0.0.0.0 without an access token: set CTGI_WEB_TOKEN (16+ characters), or bind to 127.0.0.1.\n');
    const badPort = await spawnCtgi(['serve', '--port', '70000'], { CTGI_HOME: join(temp.dir, 'home3') });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be a port number');
  });

  it('prints progress as whole lines per 10% in logs', () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    let clock = 0;
    const p = progressPrinter(stream, () => clock);
    // One percent per second: after the first second the ETA is the remaining percentage in seconds.
    for (let i = 0; i <= 100; i++) {
      clock = i * 1000;
      p.report('indexing', i / 100);
    }
    p.report('ready');
    p.finish();
    expect(text.split('\n').filter(Boolean)).toEqual([
      'indexing 0%',
      ...['1:30', '1:20', '1:10', '1:00', '0:50', '0:40', '0:30', '0:20', '0:10'].map((eta, i) => `indexing ${(i + 1) * 10}% ETA ${eta}`),
      'indexing 100%',
      'ready',
    ]);
  });
});
