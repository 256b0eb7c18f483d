import { CtgiError } from '../../src/errors/ctgi-error.js';

/** Reads all of a stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads stdin as a JSON array of strings (the input of `tokenize` and `embed text`).
 * @throws CtgiError BAD_INPUT saying what was expected.
 */
export async function readStringArray(stream: NodeJS.ReadableStream): Promise<string[]> {
  const text = await readAll(stream);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CtgiError('BAD_INPUT', 'Standard input is not valid JSON: expected a JSON array of strings, e.g. ["a man in a red coat"].');
  }
  if (!Array.isArray(value)) {
    throw new CtgiError('BAD_INPUT', 'Standard input must be a JSON array of strings, e.g. ["a man in a red coat"].');
  }
  value.forEach((v, i) => {
    if (typeof v !== 'string') {
      throw new CtgiError('BAD_INPUT', `Item ${i} of the input array is ${v === null ? 'null' : typeof v}, not a string.`);
    }
  });
  return value as string[];
}

/** Writes `value` as one line of JSON. Vectors print as plain number arrays. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(
    JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float32Array) : v)) + '\n',
  );
}

/**
 * Reads stdin as one JSON object; `example` (a short sample of the expected input) goes into the error.
 * @throws CtgiError BAD_INPUT when the input is not JSON or not an object.
 */
export async function readJsonObject(stream: NodeJS.ReadableStream, example: string): Promise<Record<string, unknown>> {
  const text = await readAll(stream);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CtgiError('BAD_INPUT', `Standard input is not valid JSON: expected a JSON object such as ${example}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CtgiError('BAD_INPUT', `Standard input must be a JSON object such as ${example}.`);
  }
  return value as Record<string, unknown>;
}
