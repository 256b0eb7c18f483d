// Reads the `metadata_props` of an ONNX ModelProto without decoding its graph: exporters such as
// Ultralytics write the input size and class names there, and onnxruntime-node does not expose them.

/** Key/value pairs of a model's `metadata_props` (empty when the model has none). */
export type OnnxMetadata = Map<string, string>;

const METADATA_PROPS_FIELD = 14;
const KEY_FIELD = 1;
const VALUE_FIELD = 2;

/** Parses the top-level fields of ONNX ModelProto bytes and returns its metadata properties. @throws Error on malformed protobuf. */
export function readOnnxMetadata(bytes: Uint8Array): OnnxMetadata {
  const out: OnnxMetadata = new Map();
  for (const field of fields(bytes)) {
    if (field.number !== METADATA_PROPS_FIELD || !field.bytes) continue;
    let key = '';
    let value = '';
    for (const inner of fields(field.bytes)) {
      if (!inner.bytes) continue;
      if (inner.number === KEY_FIELD) key = utf8(inner.bytes);
      if (inner.number === VALUE_FIELD) value = utf8(inner.bytes);
    }
    if (key) out.set(key, value);
  }
  return out;
}

const decoder = new TextDecoder();
function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}

interface Field {
  number: number;
  /** Payload of a length-delimited field; undefined for varint and fixed-width fields. */
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  };
  while (pos < buf.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated field');
      yield { number, bytes: buf.subarray(pos, pos + len) };
      pos += len;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error('truncated field');
    yield { number };
  }
}
