import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MLLM_CONCURRENCY, DEFAULT_MLLM_MAX_RETRIES, DEFAULT_MLLM_TIMEOUT_MS, DEFAULT_TEMPERATURE, loadConfig } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

// loadConfig's MLLM and Reconstructor keys: both-or-neither, the Reconstructor's fallback to the MLLM's
// endpoint, keys that never travel to another endpoint, defaults and bounds.

const MLLM = { CTGI_MLLM_BASE_URL: 'http://127.0.0.1:8000/v1', CTGI_MLLM_MODEL: 'Qwen/Qwen2-VL-7B-Instruct' };

function configError(env: Record<string, string>): Error {
  try {
    loadConfig(env);
  } catch (err) {
    expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
    return err as Error;
  }
  return expect.unreachable('loadConfig should refuse this environment');
}

describe('loadConfig: MLLM', () => {
  it('leaves both clients unconfigured without MLLM keys (witness-only search)', () => {
    const c = loadConfig({});
    expect(c.mllm).toBeUndefined();
    expect(c.reconstructor).toBeUndefined();
    expect(c.mllmConcurrency).toBe(DEFAULT_MLLM_CONCURRENCY);
    expect(c.mllmLogFile).toBeUndefined();
  });

  it('needs both the base URL and the model, or neither', () => {
    expect(configError({ CTGI_MLLM_BASE_URL: MLLM.CTGI_MLLM_BASE_URL }).message).toMatch(/CTGI_MLLM_BASE_URL and CTGI_MLLM_MODEL/);
    expect(configError({ CTGI_MLLM_MODEL: 'm' }).message).toMatch(/CTGI_MLLM_BASE_URL and CTGI_MLLM_MODEL/);
  });

  it('fills the defaults: temperature 0.01, 60 s, 3 retries, 8 in flight', () => {
    const c = loadConfig({ ...MLLM, CTGI_MLLM_API_KEY: 'sk-a' });
    expect(c.mllm).toEqual({ ...{ baseUrl: MLLM.CTGI_MLLM_BASE_URL, model: MLLM.CTGI_MLLM_MODEL }, apiKey: 'sk-a', temperature: 0.01, timeoutMs: 60_000, maxRetries: 3 });
    expect([DEFAULT_TEMPERATURE, DEFAULT_MLLM_TIMEOUT_MS, DEFAULT_MLLM_MAX_RETRIES]).toEqual([0.01, 60_000, 3]);
  });

  it('reads every tuning key', () => {
    const c = loadConfig({
      ...MLLM,
      CTGI_MLLM_TEMPERATURE: '0.7',
      CTGI_MLLM_TIMEOUT_MS: '1500',
      CTGI_MLLM_MAX_RETRIES: '0',
      CTGI_MLLM_CONCURRENCY: '3',
      CTGI_MLLM_LOG: 'logs/mllm.jsonl',
    });
    expect(c.mllm).toMatchObject({ temperature: 0.7, timeoutMs: 1500, maxRetries: 0 });
    expect(c.mllmConcurrency).toBe(3);
    expect(c.mllmLogFile).toBe(resolve('logs/mllm.jsonl'));
  });

  it.each([
    ['CTGI_MLLM_BASE_URL', 'ftp://host/v1'],
    ['CTGI_MLLM_BASE_URL', 'not a url'],
    ['CTGI_MLLM_TEMPERATURE', '3'],
    ['CTGI_MLLM_TIMEOUT_MS', '10'],
    ['CTGI_MLLM_MAX_RETRIES', '11'],
    ['CTGI_MLLM_CONCURRENCY', '0'],
    ['CTGI_MLLM_CONCURRENCY', 'many'],
    ['CTGI_RECONSTRUCTOR_BASE_URL', 'file:///etc/passwd'],
  ])('refuses %s=%j, naming the key', (key, value) => {
    expect(configError({ ...MLLM, [key]: value }).message).toContain(key);
  });
});

describe('loadConfig: Reconstructor', () => {
  it('falls back to the MLLM endpoint, key and temperature', () => {
    const c = loadConfig({ ...MLLM, CTGI_MLLM_API_KEY: 'sk-a', CTGI_MLLM_TEMPERATURE: '0.2' });
    expect(c.reconstructor).toEqual(c.mllm);
  });

  it('can change only the model on the MLLM server, keeping its key', () => {
    const c = loadConfig({ ...MLLM, CTGI_MLLM_API_KEY: 'sk-a', CTGI_RECONSTRUCTOR_MODEL: 'Qwen/Qwen2.5-7B-Instruct' });
    expect(c.reconstructor).toMatchObject({ baseUrl: MLLM.CTGI_MLLM_BASE_URL, model: 'Qwen/Qwen2.5-7B-Instruct', apiKey: 'sk-a' });
  });

  it('never hands the MLLM key to a separate endpoint', () => {
    const c = loadConfig({ ...MLLM, CTGI_MLLM_API_KEY: 'sk-mllm-secret', CTGI_RECONSTRUCTOR_BASE_URL: 'https://api.example.com/v1', CTGI_RECONSTRUCTOR_MODEL: 'gpt-x' });
    expect(c.reconstructor).toMatchObject({ baseUrl: 'https://api.example.com/v1', model: 'gpt-x' });
    expect(c.reconstructor?.apiKey).toBeUndefined();
    const own = loadConfig({ ...MLLM, CTGI_MLLM_API_KEY: 'sk-mllm', CTGI_RECONSTRUCTOR_BASE_URL: 'https://api.example.com/v1', CTGI_RECONSTRUCTOR_MODEL: 'gpt-x', CTGI_RECONSTRUCTOR_API_KEY: 'sk-rec' });
    expect(own.reconstructor?.apiKey).toBe('sk-rec');
  });

  it('can be configured without any MLLM (a text-only LLM for rewrites)', () => {
    const c = loadConfig({ CTGI_RECONSTRUCTOR_BASE_URL: 'http://127.0.0.1:11434/v1', CTGI_RECONSTRUCTOR_MODEL: 'llama3', CTGI_RECONSTRUCTOR_TEMPERATURE: '0' });
    expect(c.mllm).toBeUndefined();
    expect(c.reconstructor).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', temperature: 0, apiKey: undefined, maxRetries: 3 });
  });

  it('refuses a Reconstructor base URL with no model anywhere', () => {
    expect(configError({ CTGI_RECONSTRUCTOR_BASE_URL: 'http://127.0.0.1:11434/v1' }).message).toMatch(/CTGI_RECONSTRUCTOR_MODEL/);
  });

  it('takes its own temperature, else the MLLM one', () => {
    expect(loadConfig({ ...MLLM, CTGI_MLLM_TEMPERATURE: '0.3', CTGI_RECONSTRUCTOR_TEMPERATURE: '0.9' }).reconstructor?.temperature).toBe(0.9);
    expect(loadConfig({ ...MLLM, CTGI_MLLM_TEMPERATURE: '0.3', CTGI_RECONSTRUCTOR_MODEL: 'x' }).reconstructor?.temperature).toBe(0.3);
  });
});

describe('loadConfig: third-party tracing', () => {
  it('refuses LangSmith tracing, which would ship images and witness text to a third party', () => {
    expect(() => loadConfig({ LANGSMITH_TRACING: 'true' })).toThrow(/LANGSMITH_TRACING would send surveillance images/);
    expect(() => loadConfig({ LANGCHAIN_TRACING_V2: '1' })).toThrow(/LANGCHAIN_TRACING_V2/);
    expect(() => loadConfig({ LANGSMITH_TRACING: 'false' })).not.toThrow();
  });
});

describe('loadConfig: conversation retention', () => {
  it('keeps conversations 30 days by default, reads CTGI_CONVERSATION_RETENTION_DAYS and refuses nonsense', () => {
    expect(loadConfig({}).conversation.retentionDays).toBe(30);
    expect(loadConfig({ CTGI_CONVERSATION_RETENTION_DAYS: '7' }).conversation.retentionDays).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'forever']) expect(configError({ CTGI_CONVERSATION_RETENTION_DAYS: bad }).message).toMatch(/CTGI_CONVERSATION_RETENTION_DAYS/);
  });
});
