import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import type { LlmEndpointConfig } from '../../src/config/config.js';

// The operator agent's chat model: the configured OpenAI-compatible endpoint (the Reconstructor's, a text
// task, else the MLLM's) through LangChain's ChatOpenAI, on the chat-completions API every such server has.

/** A tool-calling chat model at `endpoint`. */
export function openOperatorModel(endpoint: LlmEndpointConfig): BaseChatModel {
  return new ChatOpenAI({
    model: endpoint.model,
    // Local servers take any key; the client library refuses to start without one.
    apiKey: endpoint.apiKey ?? 'not-needed',
    configuration: { baseURL: endpoint.baseUrl },
    temperature: endpoint.temperature,
    timeout: endpoint.timeoutMs,
    maxRetries: endpoint.maxRetries,
    useResponsesApi: false,
  });
}
