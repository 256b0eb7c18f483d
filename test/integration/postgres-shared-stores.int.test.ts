// The audit trail, the MTG caption jobs and the web sessions in PostgreSQL, each held to the behaviour of its
// SQLite adapter; `ctgi audit export` and `ctgi caption` over the database; credentials never in a message.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionPersistence } from '../../bots/web/postgres-session-persistence.js';
import { SqliteSessionPersistence } from '../../bots/web/sqlite-session-persistence.js';
import type { SessionPersistence } from '../../bots/web/web-session-persistence.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { AuditTrail } from '../../src/audit/audit-trail.js';
import { PostgresAuditStore } from '../../src/audit/postgres-audit-store.js';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { buildDemo, type DemoBuild } from '../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import type { CaptionJobStore } from '../../src/mtg/job-store.js';
import { PostgresCaptionJobStore } from '../../src/mtg/postgres-job-store.js';
import { SqliteCaptionJobStore } from '../../src/mtg/sqlite-job-store.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { spawnCtgi } from '../helpers/cli.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const LONG = 'a man in a long grey coat, '.repeat(200).slice(0, 5000);
const RECORDS: AuditRecord[] = [
  { at: '2024-05-01T09:00:00Z', thread: 'web:s1:c1', userId: 's1', kind: 'description', text: `it's "him"; DROP TABLE ctgi_audit; --` },
  { at: '2024-05-01T09:00:01.500Z', thread: 'web:s1:c1', userId: 's1', kind: 'gallery', imageIds: [7, 3, 9] },
  { at: '2024-05-02T10:00:00+02:00', thread: 'slack:C1:1.2', userId: 'U1', userName: "O'Brien", kind: 'answer', text: LONG },
  { at: '2024-05-03T00:00:00Z', thread: 'web:s2:c1', userId: 's2', kind: 'answer', text: 'nul\u0000byte' },
];

/** What every AuditTrail adapter does with the same records. */
function auditContract(name: string, open: () => Promise<AuditTrail>): void {
  it(`${name}: keeps records with quotes, NUL bytes and 5,000 characters, exports them in time order and by range`, async () => {
    const trail = await open();
    try {
      for (const r of RECORDS) await trail.record(r);
      const lines: string[] = [];
      for await (const line of trail.exportLines('jsonl')) lines.push(line);
      const rows = lines.map((l) => JSON.parse(l) as AuditRecord & { user_id?: string });
      expect(rows).toHaveLength(4);
      expect(rows[0]!.text).toBe(RECORDS[0]!.text);
      expect(rows[1]!.imageIds ?? (rows[1] as { image_ids?: number[] }).image_ids).toEqual([7, 3, 9]);
      expect(rows[2]!.text).toBe(LONG);
      expect(rows[3]!.text).toMatch(/^nul.byte$/);
      const ranged: string[] = [];
      for await (const line of trail.exportLines('csv', { since: '2024-05-01T09:00:01Z', until: '2024-05-03' })) ranged.push(line);
      expect(ranged).toHaveLength(3);
      await expect(async () => {
        for await (const _ of trail.exportLines('jsonl', { since: 'yesterday' })) void _;
      }).rejects.toThrow(/ISO 8601/);
    } finally {
      await trail.close();
    }
  });
}

/** What every CaptionJobStore adapter does. */
function jobStoreContract(name: string, open: (settings: string) => Promise<CaptionJobStore>): void {
  it(`${name}: records finished images in finish order, retries failures, and refuses other settings`, async () => {
    const store = await open('s1');
    try {
      await store.markFailed('b.jpg', 'timeout', []);
      await store.markDone('a.jpg', 'first', 'a man', [{ kind: 'caption', round: 0, question: 'q', answer: "it's \"x\"" } as never]);
      await store.markDone('b.jpg', 'first', 'a woman', []);
      expect([...(await store.doneKeys())].sort()).toEqual(['a.jpg', 'b.jpg']);
      const records = await store.records();
      expect(records.map((r) => [r.key, r.status, r.attempts])).toEqual([
        ['a.jpg', 'done', 1],
        ['b.jpg', 'done', 2],
      ]);
      expect(records[0]!.turns).toHaveLength(1);
    } finally {
      await store.close();
    }
    const again = await open('s1');
    expect((await again.doneKeys()).size).toBe(2);
    await again.close();
    await expect(open('s2')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('other settings') });
  });
}

/** What every SessionPersistence adapter does. */
function sessionContract(name: string, open: () => Promise<SessionPersistence>): void {
  it(`${name}: stores sessions by secret hash, finds, merges shown images, expires and removes them`, async () => {
    const store = await open();
    try {
      const s = { secretHash: 'h1', id: 'id1', thread: 'web:id1:c1', address: '127.0.0.1', shownImages: [1, 2], lastSeenMs: 1_000 };
      await store.save(s);
      // Another server showed the session image 3 and saved what it knew: nothing is lost either way.
      await store.save({ ...s, thread: 'web:id1:c2', shownImages: [3], lastSeenMs: 2_000 });
      expect(await store.find('h1')).toMatchObject({ id: 'id1', thread: 'web:id1:c2', lastSeenMs: 2_000 });
      expect((await store.find('h1'))!.shownImages.sort()).toEqual([1, 2, 3]);
      expect(await store.find('nope')).toBeUndefined();
      await store.save({ ...s, secretHash: 'h2', id: 'id2', thread: 'web:id2:c1', lastSeenMs: 10 });
      expect((await store.load(500)).map((x) => x.secretHash)).toEqual(['h1']);
      await store.remove('h1');
      expect(await store.find('h1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
}

let temp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  temp = await makeTempDir('pg-shared-stores');
});
afterAll(async () => {
  await temp?.cleanup();
});

describe('SQLite adapters (the embedded default)', () => {
  let n = 0;
  auditContract('SQLite audit trail', async () => AuditStore.open(join(temp.dir, `audit-${++n}.sqlite`)));
  jobStoreContract('SQLite caption jobs', async (settings) => SqliteCaptionJobStore.open(join(temp.dir, 'jobs.sqlite'), settings));
  sessionContract('SQLite web sessions', async () => SqliteSessionPersistence.open(join(temp.dir, `sessions-${++n}.sqlite`)));
});

describe('credentials', () => {
  it('a failing connection names the server, never the password (ctgi audit export as a real process)', async () => {
    const r = await spawnCtgi(['audit', 'export', '--since', '2024-01-01'], { CTGI_HOME: join(temp.dir, 'cred-home'), CTGI_DATABASE_URL: 'postgres://ctgi:s3cret-pw@127.0.0.1:1/ctgi' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('127.0.0.1:1');
    expect(r.stderr).not.toContain('s3cret-pw');
    expect(r.stdout).not.toContain('s3cret-pw');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});

describe.skipIf(!hasPostgres)('PostgreSQL adapters', () => {
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  beforeAll(async () => {
    db = await makeTestDatabase('shared_stores');
  });
  afterAll(async () => {
    await db?.drop();
  });
  let n = 0;

  auditContract('PostgreSQL audit trail', async () => {
    const pool = await openPostgres(db.url, { max: 2 });
    // Each run of the contract starts from an empty trail.
    await pool.query('TRUNCATE ctgi_audit');
    return new PostgresAuditStore(pool, 'test');
  });
  jobStoreContract('PostgreSQL caption jobs', async (settings) => {
    const pool = await openPostgres(db.url, { max: 2 });
    return PostgresCaptionJobStore.open(pool, 'captions.json', settings, 'test').catch(async (err: unknown) => {
      await pool.end();
      throw err;
    });
  });
  sessionContract('PostgreSQL web sessions', async () => {
    const pool = await openPostgres(db.url, { max: 2 });
    await pool.query('TRUNCATE ctgi_web_sessions');
    return new PostgresSessionPersistence(pool);
  });

  it('ctgi audit export reads the trail from the database (real process)', async () => {
    const trail = new PostgresAuditStore(await openPostgres(db.url, { max: 2 }), 'test');
    await trail.record({ at: '2025-01-02T03:04:05Z', thread: 'web:cli:c1', userId: 'cli', kind: 'description', text: `from "the" database #${++n}` });
    await trail.close();
    const r = await spawnCtgi(['audit', 'export', '--since', '2025-01-01', '--format', 'jsonl'], { CTGI_HOME: join(temp.dir, 'audit-home'), CTGI_DATABASE_URL: db.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string }).map((x) => x.text)).toEqual([`from "the" database #${n}`]);
    // Nothing was written under CTGI_HOME: the database holds the trail.
    expect(existsSync(join(temp.dir, 'audit-home', 'audit.sqlite'))).toBe(false);
  }, 120_000);

  describe('ctgi caption over the database', () => {
    let build: DemoBuild;
    let server: DemoMllmServer;
    beforeAll(async () => {
      build = await buildDemo({ out: join(temp.dir, 'world'), identities: 3, seed: 4 });
      server = await startDemoMllmServer({ seed: 4 });
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    it('resumes a job from the database on another host (another output folder, same job), with no job file', async () => {
      const args = (out: string) => ['caption', '--dataset', join(build.out, 'reid_raw.json'), '--out', out, '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL, '--rounds', '1', '--jobs', 'nightly', '--json'];
      const env = (home: string) => ({ CTGI_HOME: join(temp.dir, home), CTGI_DATABASE_URL: db.url });
      const first = await spawnCtgi(args(join(temp.dir, 'host-a', 'captions.json')), env('home-a'));
      expect(first.stderr).not.toMatch(/Error|at .*\.ts/);
      expect(first.code).toBe(0);
      const total = (JSON.parse(first.stdout) as { thisRun: { captioned: number } }).thisRun.captioned;
      expect(total).toBeGreaterThan(0);
      expect(existsSync(join(temp.dir, 'host-a', 'captions.json.jobs.sqlite'))).toBe(false);
      const second = await spawnCtgi(args(join(temp.dir, 'host-b', 'captions.json')), env('home-b'));
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout).thisRun).toMatchObject({ captioned: 0, alreadyDone: total });
    }, 300_000);
  });
});
