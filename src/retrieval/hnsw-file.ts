import { open, type FileHandle } from 'node:fs/promises';
import { CtgiError } from '../errors/ctgi-error.js';

/** What an hnswlib index file holds, read without hnswlib. */
export interface HnswFileInfo {
  /** Element slots in the file, deleted ones included (hnswlib's cur_element_count). */
  count: number;
  maxElements: number;
  M: number;
  efConstruction: number;
  /** Labels of live elements; empty unless the elements were scanned. */
  labels: number[];
  /** Labels of elements marked deleted; empty unless the elements were scanned. */
  deleted: number[];
}

/** hnswlib 0.8 header: 6 size_t, int maxlevel, uint enterpoint, maxM, maxM0, M, double mult, efConstruction. */
const HEADER_BYTES = 96;
const CHUNK_BYTES = 16 << 20;
/** Level-0 link count lives in the low 16 bits; bit 0 of byte 2 is hnswlib's delete mark. */
const DELETE_MARK = 0x01;
/** Far above any level hnswlib draws (≈ 22·1/ln M for 2^32 elements), far below anything absurd. */
const MAX_LEVEL = 64;

/**
 * Checks an hnswlib HNSW file against what hnswlib's loader trusts blindly (element layout, link counts,
 * neighbour ids, entry point, exact length) so a damaged file is refused before it is mapped into native
 * memory, where it could crash the process. With `scanElements` it also reads each element's label and
 * delete mark (the live label list, which hnswlib's own `getIdsList` mixes with deleted ones).
 * @throws CtgiError NOT_FOUND (no file), INDEX_MISMATCH (other dimension), BAD_INPUT (corrupt or truncated).
 */
export async function inspectHnswFile(path: string, dim: number, options: { scanElements?: boolean } = {}): Promise<HnswFileInfo> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CtgiError('NOT_FOUND', `There is no HNSW index file at ${path}.`, { cause: err });
    throw new CtgiError('BAD_INPUT', `The HNSW index file ${path} cannot be opened (${code ?? String(err)}); check its permissions.`, { cause: err });
  }
  try {
    return await inspect(handle, path, dim, options.scanElements ?? false);
  } finally {
    await handle.close();
  }
}

async function inspect(handle: FileHandle, path: string, dim: number, scanElements: boolean): Promise<HnswFileInfo> {
  const corrupt = (why: string): CtgiError =>
    new CtgiError('BAD_INPUT', `The HNSW index file ${path} is corrupt or truncated (${why}); delete it and rebuild the index.`);
  const fileSize = (await handle.stat()).size;
  if (fileSize < HEADER_BYTES) throw corrupt(`${fileSize} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const header = await readExactly(handle, 0, HEADER_BYTES, corrupt);
  const u64 = (at: number): number => {
    const v = header.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`header field at byte ${at} is out of range`);
    return Number(v);
  };
  const [offsetLevel0, maxElements, count, sizePerElement, labelOffset, offsetData] = [0, 8, 16, 24, 32, 40].map(u64);
  const maxLevel = header.getInt32(48, true);
  const entryPoint = header.getUint32(52, true);
  const [maxM, maxM0, M] = [56, 64, 72].map(u64);
  const mult = header.getFloat64(80, true);
  const efConstruction = u64(88);

  if (M < 2 || M > 10_000 || maxM !== M || maxM0 !== 2 * M) throw corrupt(`implausible link limits M=${M}, maxM=${maxM}, maxM0=${maxM0}`);
  // hnswlib sets mult = 1/ln M and efConstruction ≥ M; anything else would make it draw absurd levels.
  if (!(Math.abs(mult * Math.log(M) - 1) < 1e-9) || efConstruction < M || efConstruction > 0xffffffff) {
    throw corrupt('implausible level multiplier or efConstruction');
  }
  const links0Bytes = maxM0 * 4 + 4;
  if (offsetLevel0 !== 0 || offsetData !== links0Bytes || sizePerElement !== labelOffset + 8 || labelOffset <= offsetData) {
    throw corrupt('inconsistent element layout');
  }
  const fileDim = (labelOffset - offsetData) / 4;
  if (fileDim !== dim) {
    throw new CtgiError('INDEX_MISMATCH', `The HNSW index file ${path} holds ${fileDim}-d vectors but ${dim}-d ones were expected; rebuild the index for this model.`);
  }
  if (count > maxElements || maxElements > 0xffffffff) throw corrupt(`${count} elements in room for ${maxElements}`);
  if (count > 0 && (entryPoint >= count || maxLevel < 0 || maxLevel > MAX_LEVEL)) throw corrupt('invalid entry point or top level');
  const tailStart = HEADER_BYTES + count * sizePerElement;
  if (tailStart + count * 4 > fileSize) throw corrupt(`${fileSize} bytes cannot hold ${count} elements of ${sizePerElement} bytes`);

  // Upper layers: per element a u32 byte length, then `level` link lists of (u32 count, maxM ids).
  const linksBytes = maxM * 4 + 4;
  if (fileSize - tailStart > count * (4 + maxLevel * linksBytes)) throw corrupt(`more upper-layer links than ${count} elements can have`);
  const tail = await readExactly(handle, tailStart, fileSize - tailStart, corrupt);
  const levels = new Uint8Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > tail.byteLength) throw corrupt(`the link lists end at element ${i} of ${count}`);
    const size = tail.getUint32(pos, true);
    pos += 4;
    const level = size / linksBytes;
    if (!Number.isInteger(level) || level > maxLevel || pos + size > tail.byteLength) throw corrupt(`bad link list of element ${i}`);
    for (let l = 0; l < level; l++, pos += linksBytes) checkLinks(tail, pos, maxM, count, i, corrupt);
    levels[i] = level;
  }
  if (pos !== tail.byteLength) throw corrupt(`${tail.byteLength - pos} unexpected trailing bytes`);
  if (count > 0 && levels[entryPoint] !== maxLevel) throw corrupt('the entry point is not on the top level');

  const labels: number[] = [];
  const deleted: number[] = [];
  if (scanElements) {
    const seen = new Set<number>();
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / sizePerElement));
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first);
      const chunk = await readExactly(handle, HEADER_BYTES + first * sizePerElement, n * sizePerElement, corrupt);
      for (let e = 0; e < n; e++) {
        const at = e * sizePerElement;
        checkLinks(chunk, at, maxM0, count, first + e, corrupt);
        const label = chunk.getUint32(at + labelOffset, true);
        if (chunk.getUint32(at + labelOffset + 4, true) !== 0) throw corrupt(`element ${first + e} has a label beyond 2^32`);
        if (seen.has(label)) throw corrupt(`label ${label} appears twice`);
        seen.add(label);
        ((chunk.getUint8(at + 2) & DELETE_MARK) !== 0 ? deleted : labels).push(label);
      }
    }
  }
  return { count, maxElements, M, efConstruction, labels, deleted };
}

/** A link list at `at`: a count (low 16 bits) of at most `max` neighbour ids, each below `count`. */
function checkLinks(view: DataView, at: number, max: number, count: number, element: number, corrupt: (why: string) => CtgiError): void {
  const n = view.getUint16(at, true);
  if (n > max) throw corrupt(`element ${element} lists ${n} neighbours, more than ${max}`);
  for (let k = 0; k < n; k++) {
    if (view.getUint32(at + 4 + 4 * k, true) >= count) throw corrupt(`element ${element} links to a missing element`);
  }
}

async function readExactly(handle: FileHandle, position: number, length: number, corrupt: (why: string) => CtgiError): Promise<DataView> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt('the file ended early');
    done += bytesRead;
  }
  return new DataView(buffer.buffer, buffer.byteOffset, length);
}
