// `ctgi chat` driven through piped stdin against the scripted service.
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTerminalChat } from '../../bots/terminal/terminal-chat.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { runChat } from '../../app/cli/commands/chat.command.js';
import { loadConfig } from '../../src/config/config.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { whereWhenLabel } from '../../src/conversation/tile-label.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  temp = await makeTempDir('terminal-chat');
});

afterAll(async () => {
  await temp.cleanup();
});

/** Runs a chat over `lines` (stdin ends after them, like a pipe); returns everything printed. */
async function chat(service: ScriptedConversationService, lines: string[]): Promise<string> {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (c: Buffer) => (printed += c.toString()));
  await runTerminalChat({ service, input: Readable.from([lines.map((l) => `${l}\n`).join('')]), output, user: { id: 'alice' } });
  return printed;
}

describe('terminal chat', () => {
  let service: ScriptedConversationService;

  beforeAll(async () => {
    service = await ScriptedConversationService.create({ imagesDir: join(temp.dir, 'images') });
  });

  afterAll(async () => {
    await service.close();
  });

  it('after a confirmation, "timeline" prints the strip with camera · time per sighting', async () => {
    const out = await chat(service, ['a man in a red coat', '1', '#4 is them', 'timeline', 'quit']);
    expect(out).toContain('Timeline [demo data]: Seen 3 times.');
    const rows = out.split('\n').filter((l) => /^ {2} ?\d+\. /.test(l));
    expect(rows).toHaveLength(3);
    const label = whereWhenLabel({ camera: 'cam-3', takenAt: '2026-12-04T13:00:00.000Z' });
    expect(rows[0]).toMatch(new RegExp(`^ {3}1\\. ${label} +confirmed {2}person-0101\\.png {2}\\(image 101\\)$`));
    expect(rows[1]).toContain('0.90');
  });

  it('numbers options, lists the gallery with rank, score and path, and confirms "#4 is them"', async () => {
    service.calls.length = 0;
    const out = await chat(service, ['a man in a red coat', '1', '#4 is them', 'quit', 'never read']);
    expect(out).toContain('demo data');
    expect(out).toContain('? Was the person carrying a bag?');
    expect(out).toContain('1) Yes   2) No   3) Not sure');
    const rows = out.split('\n').filter((l) => /^ {2}#\d/.test(l));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatch(/^ {2}#1 +0\.95 {2}person-0101\.png {2}\(image 101, cam-/);
    expect(rows[9]).toMatch(/^ {2}#10 +0\.50 {2}person-0110\.png/);
    expect(out).toContain('✔ Confirmed: #4 (image 104).');
    expect(out.trimEnd().endsWith('Bye.')).toBe(true);
    // "1" was sent as the first option's value; nothing after "quit" was read.
    expect(service.calls.filter((c) => c.method !== 'pending').map((c) => c.text)).toEqual(['a man in a red coat', 'yes', '#4 is them']);
    expect(new Set(service.calls.map((c) => c.thread)).size).toBe(1);
    expect(service.calls[0]!.thread).toMatch(/^terminal:alice:[0-9a-f]{12}$/);
  });

  it('maps "none" and labels to option values, survives an empty description, and ends on end of input', async () => {
    service.calls.length = 0;
    const out = await chat(service, ['   ', 'someone', 'not sure', 'none', '2', 'stop', 'a second person']);
    // An all-blank line is ignored: the description starts the conversation.
    expect(service.calls.map((c) => c.text)).toEqual(['someone', "don't know", 'none of these', 'no', 'stop', 'a second person']);
    expect(out).toContain('Top 10 [demo data]');
    expect(out).toContain('Top 10 after round 1 [demo data]');
    expect(out).toContain('✔ Search stopped.');
    const threads = service.calls.map((c) => c.thread);
    expect(threads[5]).not.toBe(threads[0]);
    expect(out.trimEnd().endsWith('Bye.')).toBe(true);
  });

  it('prints the service’s hints and errors and carries on', async () => {
    const out = await chat(service, ['someone', 'yes', 'maybe the third one', '#3 is them']);
    expect(out).toContain('notice: Reply "#1 is them"');
    expect(out).toContain('✔ Confirmed: #3');
    const failing = await ScriptedConversationService.create({ imagesDir: join(temp.dir, 'images2'), demo: false });
    const start = failing.start.bind(failing);
    let first = true;
    failing.start = async (...args) => {
      if (!first) return start(...args);
      first = false;
      throw new CtgiError('UPSTREAM_FAILED', 'The MLLM at http://127.0.0.1:9 did not answer.');
    };
    try {
      const printed = await chat(failing, ['someone', 'someone again', '1']);
      expect(printed).toContain('searching the configured gallery');
      expect(printed).toContain('error: The MLLM at http://127.0.0.1:9 did not answer.');
      expect(printed).toContain('Top 10 for:');
    } finally {
      await failing.close();
    }
  });

  it('prints events that arrive later (a timed-out question) for its own thread', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (c: Buffer) => (printed += c.toString()));
    const running = runTerminalChat({ service, input, output, user: { id: 'carol' } });
    input.write('a woman in green\n');
    await waitFor(() => printed.includes('? '));
    const thread = service.calls.filter((c) => c.method === 'start').at(-1)!.thread!;
    service.emit('terminal:someone-else:000000000000', [{ kind: 'text', tone: 'info', text: 'not for carol' }]);
    await service.expire(thread);
    expect(printed).toContain('notice: No answer in time');
    expect(printed).toContain('Top 10');
    expect(printed).not.toContain('not for carol');
    input.end('#2 is them\n');
    await running;
    expect(printed).toContain('✔ Confirmed: #2');
  });
});

describe('ctgi chat (runChat)', () => {
  it('audits the dialogue in <CTGI_HOME>/audit.sqlite and closes the service', async () => {
    const home = join(temp.dir, 'home');
    const config = loadConfig({ CTGI_HOME: home });
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (c: Buffer) => (printed += c.toString()));
    const ctx: CliContext = { config: () => config, stdin: Readable.from(['a man with a cane\n3\n#1 is them\n']), stdout, stderr: new PassThrough() };
    let opened: ScriptedConversationService | undefined;
    await runChat(ctx, {}, async ({ audit, onProgress }) => {
      onProgress?.('building the demo world', 0.5);
      opened = await ScriptedConversationService.create({ audit });
      return opened;
    });
    expect(printed).toContain('✔ Confirmed: #1');
    expect(opened!.closed).toBe(true);
    const store = AuditStore.openReadOnly(config.conversation.auditFile);
    try {
      const rows = [...store.records()];
      expect(rows.map((r) => r.kind)).toEqual(['description', 'question', 'answer', 'gallery', 'answer', 'done']);
      expect(rows[0]).toMatchObject({ text: 'a man with a cane', thread: expect.stringMatching(/^terminal:/) });
      expect(rows[2]!.text).toBe("don't know");
      expect(rows[3]!.imageIds).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    } finally {
      store.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
