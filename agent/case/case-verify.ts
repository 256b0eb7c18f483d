import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { CASE_FORMAT } from './case-record.js';
import { MANIFEST, type CaseManifest } from './case-export.js';

// Checks a case zip against its manifest: every listed file present with its SHA-256 and size, nothing else
// in the zip. The zip's own CRCs are not trusted for this: a rewritten member carries a matching CRC.

/** What a check found: the files that match, and one sentence per file that does not. */
export interface CaseVerification {
  ok: boolean;
  thread: string;
  exportedAt: string;
  /** Files listed and matching. */
  verified: number;
  /** One sentence per problem, naming the file. */
  problems: string[];
}

/** Largest member read (a case's images are crops; this only stops a zip bomb). */
const MAX_MEMBER_BYTES = 256 * 1024 * 1024;

/**
 * Verifies the case zip at `path`.
 * @throws CtgiError BAD_INPUT when the file is not a readable zip or holds no case manifest.
 */
export async function verifyCaseZip(path: string): Promise<CaseVerification> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (err as Error).message;
    throw new CtgiError('BAD_INPUT', `${path} is not a readable case zip (${why}).`, { cause: err });
  }
  const hashes = new Map<string, { sha256: string; bytes: number } | { error: string }>();
  let manifestText: string | undefined;
  const duplicates: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (hashes.has(entry.fileName)) duplicates.push(entry.fileName);
      try {
        const bytes = await readEntry(zip, entry);
        if (entry.fileName === MANIFEST) manifestText = bytes.toString('utf8');
        hashes.set(entry.fileName, { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
      } catch (err) {
        hashes.set(entry.fileName, { error: (err as Error).message });
      }
    }
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `${path} is not a readable case zip (${(err as Error).message}).`, { cause: err });
  } finally {
    zip.close();
  }
  const manifest = parseManifest(path, manifestText);
  const problems: string[] = duplicates.map((name) => `${name} appears more than once in the zip.`);
  let verified = 0;
  for (const [name, want] of Object.entries(manifest.files)) {
    const got = hashes.get(name);
    if (!got) problems.push(`${name} is listed in the manifest but missing from the zip.`);
    else if ('error' in got) problems.push(`${name} cannot be read (${got.error}).`);
    else if (got.sha256 !== want.sha256 || got.bytes !== want.bytes) problems.push(`${name} was changed: its SHA-256 does not match the manifest.`);
    else verified++;
  }
  for (const name of hashes.keys()) if (name !== MANIFEST && !(name in manifest.files)) problems.push(`${name} is in the zip but not in the manifest.`);
  return { ok: problems.length === 0, thread: manifest.thread, exportedAt: manifest.exportedAt, verified, problems };
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  if (entry.uncompressedSize > MAX_MEMBER_BYTES) throw new Error(`larger than ${MAX_MEMBER_BYTES} bytes`);
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseManifest(path: string, text: string | undefined): CaseManifest {
  if (text === undefined) throw new CtgiError('BAD_INPUT', `${path} holds no ${MANIFEST}, so it is not a ctgi case (or its manifest was removed).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CtgiError('BAD_INPUT', `${path}: ${MANIFEST} is not valid JSON, so nothing in the case can be checked.`);
  }
  const m = parsed as Partial<CaseManifest>;
  const filesOk =
    m.files && typeof m.files === 'object' && Object.values(m.files).every((f) => f && typeof f.sha256 === 'string' && typeof f.bytes === 'number');
  if (m.format !== CASE_FORMAT || typeof m.thread !== 'string' || typeof m.exportedAt !== 'string' || !filesOk) {
    throw new CtgiError('BAD_INPUT', `${path}: ${MANIFEST} is not a ${CASE_FORMAT} manifest, so nothing in the case can be checked.`);
  }
  return m as CaseManifest;
}
