import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { caseExporter } from '../../agent/case/case-action.js';
import { startWebServer } from '../../bots/web/web-server.js';
import type { CaseRecord } from '../../agent/case/case-record.js';
import { verifyCaseZip } from '../../agent/case/case-verify.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';
import { createConversationService } from '../../agent/service/conversation-service.js';
import { runCaseExport } from '../../app/cli/commands/case.command.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { BotEvent, BotUser, ConversationService } from '../../src/conversation/conversation-types.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { cliContext, runCli } from '../helpers/cli.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Case export (issue 15 item 3): a real dialogue on a small demo world, exported, unzipped and checked
// member by member with node:crypto; verification catches a changed byte, a missing and an extra file; an
// unknown or foreign thread is refused with one sentence and audited.

const OPERATOR: BotUser = { id: 'U-op', name: 'operator' };
const WITNESS: BotUser = { id: 'witness-link:k1', name: 'witness (link)', via: 'witness-link' };
const MARKUP = '<img src=x onerror=alert(1)> blue';

/** Every member of a zip, read with yauzl on its own (not through the verifier). */
async function unzip(path: string): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(path);
  const out = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
    out.set(entry.fileName, Buffer.concat(chunks));
  }
  return out;
}

/** Writes `members` as a fresh zip (valid CRCs): a tampered copy that only the manifest can catch. */
async function rezip(members: Map<string, Buffer>, path: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of members) zip.addBuffer(bytes, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('case export of a real conversation', () => {
  let world: DemoWorldFixture;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let audit: AuditStore;
  let service: ConversationService;
  let zipPath: string;
  const errors: string[] = [];
  const thread = 'web:case1:c1';
  const events: BotEvent[] = [];

  const open = () =>
    createConversationService({
      deps: {
        gallery: world.gallery,
        textEncoder: new DemoTextEncoder(),
        mllm: world.mllm,
        reconstructor: world.mllm,
        options: DEFAULT_ROUND_OPTIONS,
        demo: true,
        witnessTimeoutSeconds: 120,
        readImage: world.readImage,
      },
      checkpointFile: join(temp.dir, 'conversations.sqlite'),
      caseDir: join(temp.dir, 'cases'),
      audit,
      logError: (m) => errors.push(m),
    });

  beforeAll(async () => {
    world = await openDemoWorld('case', { identities: 30, seed: 11 });
    temp = await makeTempDir('case');
    // The audit trail where `ctgi case export` (CTGI_HOME=temp) looks for it too.
    audit = AuditStore.open(cliContext({ CTGI_HOME: temp.dir }).ctx.config().conversation.auditFile);
    service = open();
    const person = world.build.world.identities[3];
    let last = await service.start(thread, OPERATOR, person.vagueQueries[0]);
    events.push(...last);
    // Questions are answered in turn by the operator and by the witness through the link; one answer
    // carries markup, which the report must show as text.
    let turn = 0;
    let picked = false;
    while (turn < 12 && last.at(-1)?.kind !== 'done') {
      const e = last.at(-1)!;
      let user = turn % 2 === 0 ? OPERATOR : WITNESS;
      let reply: string;
      if (e.kind === 'question') reply = turn === 1 ? MARKUP : (e.options[0]?.value ?? 'not sure');
      else if (e.kind === 'gallery') {
        user = OPERATOR;
        reply = picked ? 'done' : '#2 is them';
        picked = true;
      } else throw new Error(`unexpected ${JSON.stringify(e)}`);
      last = await service.answer(thread, user, reply);
      events.push(...last);
      turn++;
    }
    expect(last.at(-1)?.kind).toBe('done');
    const result = await service.exportCase!(thread, OPERATOR);
    if (!result.ok) throw new Error(result.text);
    zipPath = result.path;
  }, 180_000);

  afterAll(async () => {
    await service?.close();
    audit?.close();
    await world?.close();
    await temp?.cleanup();
  });

  it('writes the transcript: q and q̂ per round, every question and answer with who answered, the galleries', async () => {
    expect(zipPath.startsWith(join(temp.dir, 'cases'))).toBe(true);
    const members = await unzip(zipPath);
    const record = JSON.parse(members.get('case.json')!.toString()) as CaseRecord;
    expect(record).toMatchObject({ format: 'ctgi-case/1', thread, owner: OPERATOR.id, status: 'done', demo: true });
    const descriptions = record.transcript.filter((e) => e.kind === 'description');
    expect(descriptions[0]).toMatchObject({ round: 0, text: record.description });
    expect(descriptions.length).toBeGreaterThanOrEqual(2);
    expect(descriptions.at(-1)!.text).toBe(record.refined);
    const answers = record.transcript.filter((e) => e.kind === 'answer');
    const questions = record.transcript.filter((e) => e.kind === 'question');
    expect(questions.length).toBeGreaterThanOrEqual(2);
    // Each question is followed by its answer and who gave it; the second came through the witness link.
    for (const q of questions) expect(answers.find((a) => a.to === q.id)).toBeDefined();
    expect(answers.find((a) => a.to === questions[0].id)!.by).toBe('operator');
    expect(answers.find((a) => a.to === questions[1].id)).toMatchObject({ by: 'witness-link', text: MARKUP });
    expect(answers.filter((a) => a.to.startsWith('gallery')).map((a) => [a.text, a.by])).toContainEqual(['#2 is them', 'operator']);
    for (const a of answers.filter((x) => x.by === 'mllm')) expect(a.to).toBe('mllm');
    // Galleries as shown, with rank and score; the pick is recorded and is among the final candidates.
    const galleries = record.transcript.filter((e) => e.kind === 'gallery');
    const shown = events.filter((e): e is Extract<BotEvent, { kind: 'gallery' }> => e.kind === 'gallery');
    expect(galleries.map((g) => g.items.map((i) => [i.rank, i.imageId, i.score]))).toEqual(
      expect.arrayContaining(shown.map((g) => g.items.map((i) => [i.rank, i.imageId, i.score]))),
    );
    expect(record.picked).toHaveLength(1);
    expect(record.finalCandidates.map((i) => i.imageId)).toContain(record.picked[0]);
  });

  it('holds every image shown byte for byte, the audit rows of the thread, and a manifest of SHA-256 hashes', async () => {
    const members = await unzip(zipPath);
    const record = JSON.parse(members.get('case.json')!.toString()) as CaseRecord;
    const ids = new Set(record.transcript.flatMap((e) => (e.kind === 'gallery' ? e.items.map((i) => i.imageId) : [])));
    const root = world.gallery.manifest.imagesRoot!;
    const records = await world.gallery.getMany([...ids]);
    for (const id of ids) {
      const item = record.transcript.flatMap((e) => (e.kind === 'gallery' ? e.items : [])).find((i) => i.imageId === id)!;
      const path = records.get(id)!.path;
      expect(members.get(item.file!)!.equals(await readFile(isAbsolute(path) ? path : resolve(root, path)))).toBe(true);
    }
    const rows = members.get('audit.jsonl')!.toString().trim().split('\n').map((l) => JSON.parse(l) as { thread: string; kind: string; userId: string });
    expect(rows.every((r) => r.thread === thread)).toBe(true);
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['description', 'question', 'answer', 'gallery', 'done']));
    expect(rows.some((r) => r.kind === 'answer' && r.userId === WITNESS.id)).toBe(true);
    const manifest = JSON.parse(members.get('manifest.json')!.toString()) as { files: Record<string, { sha256: string; bytes: number }> };
    const listed = Object.keys(manifest.files).sort();
    expect(listed).toEqual([...members.keys()].filter((n) => n !== 'manifest.json').sort());
    for (const name of listed) expect(manifest.files[name]).toEqual({ sha256: sha(members.get(name)!), bytes: members.get(name)!.length });
  });

  it('writes a self-contained report in which untrusted text stays text', async () => {
    const html = (await unzip(zipPath)).get('report.html')!.toString();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; blue');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toMatch(/<script|src="(?!data:)|href=/i);
    expect(html).toMatch(/Final candidates[\s\S]*src="data:image\/(png|jpeg|webp);base64,/);
  });

  it('verifies, and fails naming the member when one byte changed, or a file is missing or extra', async () => {
    const ok = await verifyCaseZip(zipPath);
    expect(ok).toMatchObject({ ok: true, thread, problems: [] });
    expect(ok.verified).toBe((await unzip(zipPath)).size - 1);

    const members = await unzip(zipPath);
    const image = [...members.keys()].find((n) => n.startsWith('images/'))!;
    const flipped = new Map(members);
    const bytes = Buffer.from(members.get(image)!);
    bytes[bytes.length >> 1] ^= 0x01;
    flipped.set(image, bytes);
    await rezip(flipped, join(temp.dir, 'flipped.zip'));
    const bad = await verifyCaseZip(join(temp.dir, 'flipped.zip'));
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual([`${image} was changed: its SHA-256 does not match the manifest.`]);

    // The same byte flipped in the zip file itself (the image is stored uncompressed).
    const raw = Buffer.from(await readFile(zipPath));
    const at = raw.indexOf(members.get(image)!);
    expect(at).toBeGreaterThan(0);
    raw[at + (members.get(image)!.length >> 1)] ^= 0x01;
    await writeFile(join(temp.dir, 'raw-flip.zip'), raw);
    expect((await verifyCaseZip(join(temp.dir, 'raw-flip.zip'))).problems).toEqual([`${image} was changed: its SHA-256 does not match the manifest.`]);

    const missing = new Map(members);
    missing.delete('audit.jsonl');
    missing.set('notes.txt', Buffer.from('added later'));
    await rezip(missing, join(temp.dir, 'missing.zip'));
    expect((await verifyCaseZip(join(temp.dir, 'missing.zip'))).problems.sort()).toEqual([
      'audit.jsonl is listed in the manifest but missing from the zip.',
      'notes.txt is in the zip but not in the manifest.',
    ]);

    await writeFile(join(temp.dir, 'garbage.zip'), Buffer.from('this is not a zip file at all'));
    const err = await verifyCaseZip(join(temp.dir, 'garbage.zip')).catch((e: unknown) => e);
    expect(isCtgiError(err, 'BAD_INPUT')).toBe(true);
    expect((err as Error).message).toMatch(/^\S+garbage\.zip is not a readable case zip \(.+\)\.$/);
  });

  it('ctgi case verify prints a summary, or fails naming the changed file; a malformed zip gets one sentence', async () => {
    const good = await runCli(['case', 'verify', zipPath]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^OK: \d+ files match their SHA-256 in the manifest \(case of web:case1:c1, exported .+\)\.\n$/);
    const bad = await runCli(['case', 'verify', join(temp.dir, 'flipped.zip')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/FAILED: .*flipped\.zip does not verify[\s\S]*images\/\d+\.\w+ was changed/);
    const garbage = await runCli(['case', 'verify', join(temp.dir, 'garbage.zip')]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr.trim().split('\n')).toHaveLength(1);
    expect(garbage.stderr).not.toMatch(/\bat \S+:\d+/);
  });

  it('refuses an unknown or foreign thread with one sentence, and audits who asked for which thread', async () => {
    const unknown = await service.exportCase!('web:case1:nope', OPERATOR);
    expect(unknown).toEqual({ ok: false, text: 'There is no conversation web:case1:nope to export.' });
    const foreign = await service.exportCase!(thread, { id: 'U-other' });
    expect(foreign).toEqual({ ok: false, text: 'Only the person who started this search can export it.' });
    expect(await audit.threadRecords('web:case1:nope')).toMatchObject([{ kind: 'refusal', userId: OPERATOR.id, text: 'case export refused: unknown conversation' }]);
    expect((await audit.threadRecords(thread)).filter((r) => r.kind === 'refusal')).toMatchObject([{ userId: 'U-other', text: 'case export refused: not the owner' }]);
  });

  it('the front ends\' export action writes under the cases folder and names the zip; the CLI exports any thread and refuses an unknown one', async () => {
    const said = await caseExporter(service)(thread, OPERATOR);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ kind: 'text', tone: 'info' });
    expect((said[0] as { text: string }).text).toMatch(/^Case exported as case-web_case1_c1-[\w-]+\.zip \(\d+ files with a SHA-256 manifest\)/);
    expect(await caseExporter(service)('web:case1:nope', OPERATOR)).toEqual([{ kind: 'text', tone: 'error', text: 'There is no conversation web:case1:nope to export.' }]);

    const { ctx, out } = cliContext({ CTGI_HOME: temp.dir });
    const path = await runCaseExport(ctx, thread, { out: join(temp.dir, 'cli.zip') }, async () => open());
    expect(path).toBe(join(temp.dir, 'cli.zip'));
    expect(out()).toContain(`Wrote the case of ${thread} to ${path}`);
    expect((await verifyCaseZip(path)).ok).toBe(true);
    const err = await runCaseExport(ctx, 'terminal:me:gone', {}, async () => open()).catch((e: unknown) => e);
    expect((err as Error).message).toBe('There is no conversation terminal:me:gone to export.');
    expect(await audit.threadRecords('terminal:me:gone')).toMatchObject([{ kind: 'refusal', text: 'case export refused: unknown conversation' }]);
    expect(errors).toEqual([]);
  });

  it("the web chat downloads the session's own conversation as a verified zip, behind the token", async () => {
    const token = 'case-test-token-0123456789';
    const web = await startWebServer({ service, port: 0, audit, token });
    try {
      const page = await fetch(new URL(`/?token=${token}`, web.url), { redirect: 'manual' });
      const cookie = page.headers.get('set-cookie')!.split(';')[0];
      const headers = { Cookie: cookie, Origin: web.url.replace(/\/$/, ''), 'Content-Type': 'application/json' };
      const none = await fetch(new URL('/api/case', web.url), { headers });
      expect(none.status).toBe(404);
      expect(((await none.json()) as { error: string }).error).toMatch(/^There is no conversation web:[^ ]+ to export\.$/);
      const started = await fetch(new URL('/api/start', web.url), { method: 'POST', headers, body: JSON.stringify({ text: world.build.world.identities[5].vagueQueries[0] }) });
      expect(started.status).toBe(200);
      const res = await fetch(new URL('/api/case', web.url), { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/zip');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="case-web_[\w.-]+\.zip"$/);
      await writeFile(join(temp.dir, 'web.zip'), Buffer.from(await res.arrayBuffer()));
      expect(await verifyCaseZip(join(temp.dir, 'web.zip'))).toMatchObject({ ok: true, problems: [] });
      // Without the session cookie and without the token: refused before anything is exported.
      expect((await fetch(new URL('/api/case', web.url))).status).toBe(401);
    } finally {
      await web.close();
    }
  }, 120_000);
});
