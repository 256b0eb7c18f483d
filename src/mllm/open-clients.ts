import type { Config, LlmEndpointConfig } from '../config/config.js';
import { fanOutSinks, jsonlCallLog, type MllmCallSink } from './call-log.js';
import { OpenAiMllm } from './openai-chat.js';

/** The configured LLM clients; either is undefined when not configured. */
export interface LlmClients {
  /** The MLLM for anchor checks and visual questions. */
  mllm?: OpenAiMllm;
  /** The Reconstructor's LLM (the MLLM itself when the endpoints are the same). */
  reconstructor?: OpenAiMllm;
}

/**
 * Builds the MLLM and Reconstructor clients from configuration: one shared instance (one concurrency cap,
 * one image cache) when both endpoints are identical. Every call goes to `options.onCall` and, when
 * `CTGI_MLLM_LOG` is set, to that JSONL file.
 * @throws CtgiError CONFIG_INVALID for an unusable endpoint.
 */
export function openLlmClients(config: Config, options: { onCall?: MllmCallSink } = {}): LlmClients {
  const onCall = fanOutSinks(options.onCall, config.mllmLogFile ? jsonlCallLog(config.mllmLogFile) : undefined);
  const open = (endpoint: LlmEndpointConfig) =>
    new OpenAiMllm({
      baseUrl: endpoint.baseUrl,
      model: endpoint.model,
      apiKey: endpoint.apiKey,
      temperature: endpoint.temperature,
      timeoutMs: endpoint.timeoutMs,
      maxRetries: endpoint.maxRetries,
      maxConcurrency: config.mllmConcurrency,
      imageLimits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
      onCall,
    });
  const mllm = config.mllm ? open(config.mllm) : undefined;
  const reconstructor = config.reconstructor ? (mllm && config.mllm && sameEndpoint(config.mllm, config.reconstructor) ? mllm : open(config.reconstructor)) : undefined;
  return { ...(mllm ? { mllm } : {}), ...(reconstructor ? { reconstructor } : {}) };
}

function sameEndpoint(a: LlmEndpointConfig, b: LlmEndpointConfig): boolean {
  return (
    a.baseUrl.replace(/\/+$/, '') === b.baseUrl.replace(/\/+$/, '') &&
    a.model === b.model &&
    a.apiKey === b.apiKey &&
    a.temperature === b.temperature &&
    a.timeoutMs === b.timeoutMs &&
    a.maxRetries === b.maxRetries
  );
}
