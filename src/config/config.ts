import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_TIMELINE_MIN_COSINE } from '../gallery/person-timeline.js';
import { isTimeZone, systemTimeZone } from '../util/zoned-time.js';
import { CtgiError } from '../errors/ctgi-error.js';

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as http://127.0.0.1:8000/v1' });
/** A comma-separated id list ("C1, C2"); empty entries are dropped. */
const idList = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
const addressList = idList.refine((list) => list.every((a) => isIP(a) !== 0), 'must be comma-separated IP addresses of your reverse proxies, e.g. 127.0.0.1,::1');

/** How to make a web access token that passes `isStrongToken`. */
export const TOKEN_ADVICE =
  'must be at least 16 characters without spaces from three of lower case, upper case, digits and symbols, or 32+ hex digits, and not repetitive: generate one with `openssl rand -hex 32` or `node -e "console.log(require(\'node:crypto\').randomBytes(32).toString(\'hex\'))"`';

/**
 * Whether an access token is hard enough to guess: 16+ non-space characters from 3+ character classes, or
 * 32+ hex digits; either way at least 8 different characters ("aaaa…" is hex, but not a secret).
 */
export function isStrongToken(token: string): boolean {
  if (/\s/.test(token) || new Set(token).size < 8) return false;
  if (/^[0-9a-f]{32,}$/i.test(token)) return true;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(token)).length;
  return token.length >= 16 && classes >= 3;
}

const envSchema = z.object({
  CTGI_HOME: z.string().min(1).optional(),
  HF_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://huggingface.co' }).optional(),
  HF_TOKEN: z.string().min(1).optional(),
  CTGI_DEBUG: z.enum(['0', '1', 'true', 'false']).optional(),
  CTGI_MAX_IMAGE_PIXELS: z.coerce.number().int().positive().optional(),
  CTGI_MAX_IMAGE_BYTES: z.coerce.number().int().positive().optional(),
  // The MLLM (VQA, anchor checks) and the Reconstructor (rewrites; may be a text-only LLM).
  CTGI_MLLM_BASE_URL: httpUrl.optional(),
  CTGI_MLLM_MODEL: z.string().trim().min(1).optional(),
  CTGI_MLLM_API_KEY: z.string().min(1).optional(),
  CTGI_MLLM_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  CTGI_MLLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  CTGI_MLLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).optional(),
  CTGI_MLLM_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  CTGI_MLLM_LOG: z.string().min(1).optional(),
  CTGI_RECONSTRUCTOR_BASE_URL: httpUrl.optional(),
  CTGI_RECONSTRUCTOR_MODEL: z.string().trim().min(1).optional(),
  CTGI_RECONSTRUCTOR_API_KEY: z.string().min(1).optional(),
  CTGI_RECONSTRUCTOR_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  // A team deployment's shared store (PostgreSQL with pgvector): galleries, checkpoints, audit, job queues.
  CTGI_DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  CTGI_DATABASE_TLS: z.enum(['disable', 'require', 'verify-full']).optional(),
  CTGI_DATABASE_BUILD_MEMORY_MB: z.coerce.number().int().min(64).max(1_048_576).optional(),
  CTGI_DATABASE_CA_FILE: z.string().min(1).optional(),
  // The conversation: gallery, checkpoints, audit, witness timeout.
  CTGI_INDEX: z.string().min(1).optional(),
  CTGI_WITNESS_TIMEOUT_S: z.coerce.number().int().min(5).max(86_400).optional(),
  CTGI_WITNESS_QUESTIONS: z.coerce.number().int().min(0).max(10).optional(),
  CTGI_CONVERSATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  CTGI_LAMBDA: z.coerce.number().min(0).max(1).optional(),
  CTGI_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone name such as Europe/Paris or UTC').optional(),
  CTGI_TIMELINE_MIN_COSINE: z.coerce.number().min(-1).max(1).optional(),
  // Web chat.
  CTGI_WEB_HOST: z.string().min(1).optional(),
  CTGI_WEB_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  CTGI_WEB_TOKEN: z.string().refine(isStrongToken, TOKEN_ADVICE).optional(),
  CTGI_WEB_TRUSTED_PROXY: addressList.optional(),
  CTGI_WEB_HEARTBEAT_S: z.coerce.number().int().min(1).max(300).optional(),
  CTGI_WEB_STREAM_IDLE_S: z.coerce.number().int().min(10).max(86_400).optional(),
  CTGI_WEB_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).optional(),
  CTGI_WEB_MAX_STREAMS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).optional(),
  CTGI_WEB_MAX_SESSIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).optional(),
  // Witness links: the address witnesses reach `ctgi serve` at, and how long a link lives.
  CTGI_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'must be the http(s) address witnesses reach ctgi serve at, e.g. https://ctgi.example.org')
    .optional(),
  CTGI_WITNESS_LINK_MINUTES: z.coerce.number().int().min(1).max(10_080).optional(),
  // Slack (Socket Mode needs the app-level token; HTTP mode needs the signing secret).
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().min(1).optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  CTGI_SLACK_MODE: z.enum(['socket', 'http']).optional(),
  CTGI_SLACK_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  CTGI_SLACK_ALLOWED_TEAMS: idList.optional(),
  CTGI_SLACK_ALLOWED_CHANNELS: idList.optional(),
  CTGI_SLACK_ALLOWED_USERS: idList.optional(),
  // Discord.
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_APPLICATION_ID: z.string().min(1).optional(),
  CTGI_DISCORD_ALLOWED_GUILDS: idList.optional(),
  CTGI_DISCORD_ALLOWED_CHANNELS: idList.optional(),
  CTGI_DISCORD_ALLOWED_ROLES: idList.optional(),
});

/** Parsed, validated configuration. Nothing else in the project reads `process.env`. */
export interface Config {
  /** Root for downloaded models and caches (`$CTGI_HOME`, default `~/.cache/ctgi`). */
  home: string;
  /** Where `model pull` stores models: `<home>/models`. */
  modelsDir: string;
  /** Hugging Face hub base URL (`HF_ENDPOINT`). */
  hfEndpoint: string;
  /** Bearer token for gated/private hub repos (`HF_TOKEN`); never logged. */
  hfToken: string | undefined;
  debug: boolean;
  /** Images with more pixels than this are refused (decompression-bomb guard). */
  maxImagePixels: number;
  /** Image files larger than this many bytes are refused. */
  maxImageBytes: number;
  /** The MLLM for anchor checks and visual questions; undefined when not configured (witness-only MTI). */
  mllm: LlmEndpointConfig | undefined;
  /** The Reconstructor's LLM; defaults to the MLLM's endpoint; undefined → deterministic template merge. */
  reconstructor: LlmEndpointConfig | undefined;
  /** MLLM calls in flight at once, per client. */
  mllmConcurrency: number;
  /**
   * The shared PostgreSQL store (`CTGI_DATABASE_URL`, TLS from `CTGI_DATABASE_TLS` / `CTGI_DATABASE_CA_FILE`);
   * undefined → the embedded default (gallery folders and SQLite files under `home`). The URL holds credentials:
   * never log it (storage/postgres.ts redacts it in messages).
   */
  database: DatabaseConfig | undefined;
  /** JSONL file that gets one line per MLLM call (latency, tokens, status; never keys or images). */
  mllmLogFile: string | undefined;
  conversation: ConversationConfig;
  web: WebConfig;
  witness: WitnessConfig;
  slack: SlackConfig;
  discord: DiscordConfig;
}

export interface WitnessConfig {
  /** Base address witnesses open links at (`CTGI_PUBLIC_URL`, no trailing slash); undefined → none known. */
  publicUrl: string | undefined;
  /** Lifetime of a new witness link in minutes (default 120). */
  linkMinutes: number;
  /** Witness links and their relay queue: `<home>/witness-links.sqlite` (hashed secrets only). */
  linksFile: string;
}

/** One OpenAI-compatible chat-completions endpoint. The key is never logged. */
export interface LlmEndpointConfig {
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  temperature: number;
  timeoutMs: number;
  maxRetries: number;
}

export interface DatabaseConfig {
  url: string;
  tls?: 'disable' | 'require' | 'verify-full';
  caFile?: string;
  /** Most maintenance_work_mem, in MB, a gallery's HNSW build raises its own session to (`CTGI_DATABASE_BUILD_MEMORY_MB`, default 2048). */
  buildMemoryMb?: number;
}

export interface ConversationConfig {
  /** Gallery index directory (`CTGI_INDEX`; with CTGI_DATABASE_URL the name of a gallery in that database); undefined → the demo world. */
  indexDir: string | undefined;
  /** Where conversation checkpoints and the audit trail live: `<home>/conversations.sqlite`, `<home>/audit.sqlite`. */
  checkpointFile: string;
  auditFile: string;
  witnessTimeoutSeconds: number;
  /** Questions put to the witness per round. */
  witnessQuestionsPerRound: number;
  /** Eq. 7 λ; undefined → the agent's default. */
  lambda: number | undefined;
  /** Days a conversation is kept after the last human reply; then its checkpoints are deleted. */
  retentionDays: number;
  /** Zone a witness's "2 pm" and "yesterday" are read in (`CTGI_TIMEZONE`, default the server's). */
  timeZone: string;
  /** Cosine at or above which another camera's image joins a confirmed person's timeline (`CTGI_TIMELINE_MIN_COSINE`). */
  timelineMinCosine: number;
}

export interface WebConfig {
  host: string;
  port: number;
  /** Required when host is not loopback; refused at start when weak (`isStrongToken`). Never logged. */
  token: string | undefined;
  /** Where browser sessions outlive a restart: `<home>/web-sessions.sqlite` (hashed cookie secrets only). */
  sessionsFile: string;
  /** Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (`CTGI_WEB_TRUSTED_PROXY`). */
  trustedProxies: string[];
  /** Seconds between keep-alive comments on live event streams. */
  heartbeatSeconds: number;
  /** An event stream with no event and no request from its page for this long is closed (the page reconnects). */
  streamIdleSeconds: number;
  /** Live event streams over all clients, and per client address. */
  maxStreams: number;
  maxStreamsPerAddress: number;
  /** Browser sessions one client address may hold (its own oldest idle ones go first). */
  maxSessionsPerAddress: number;
}

export interface SlackConfig {
  botToken: string | undefined;
  appToken: string | undefined;
  signingSecret: string | undefined;
  mode: 'socket' | 'http';
  port: number;
  allowedTeams: string[];
  allowedChannels: string[];
  allowedUsers: string[];
}

export interface DiscordConfig {
  token: string | undefined;
  applicationId: string | undefined;
  allowedGuilds: string[];
  allowedChannels: string[];
  allowedRoles: string[];
}

/** The paper's sampling temperature (appendix C). */
export const DEFAULT_TEMPERATURE = 0.01;
export const DEFAULT_MLLM_TIMEOUT_MS = 60_000;
export const DEFAULT_MLLM_MAX_RETRIES = 3;
// A round checks the top-K (20) candidates and proposes follow-ups in one wave: 24 in flight keeps it one call long.
export const DEFAULT_MLLM_CONCURRENCY = 24;
export const DEFAULT_WITNESS_TIMEOUT_S = 120;
export const DEFAULT_CONVERSATION_RETENTION_DAYS = 30;

export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/**
 * Parses configuration from an environment map once, at start-up.
 * @throws CtgiError CONFIG_INVALID naming every bad key and how to fix it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new CtgiError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  // LangChain would send every prompt (witness text) and image to LangSmith on its own when tracing is on.
  const tracing = ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGCHAIN_TRACING'].filter((k) => /^(1|true|yes)$/i.test(env[k] ?? ''));
  if (tracing.length > 0) {
    throw new CtgiError('CONFIG_INVALID', `${tracing.join(' and ')} would send surveillance images and witness descriptions to LangSmith; unset ${tracing.length > 1 ? 'them' : 'it'} to run ctgi.`);
  }
  const home = resolve(e.CTGI_HOME ?? join(homedir(), '.cache', 'ctgi'));
  return {
    home,
    modelsDir: join(home, 'models'),
    hfEndpoint: (e.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    hfToken: e.HF_TOKEN,
    debug: e.CTGI_DEBUG === '1' || e.CTGI_DEBUG === 'true',
    maxImagePixels: e.CTGI_MAX_IMAGE_PIXELS ?? DEFAULT_MAX_IMAGE_PIXELS,
    maxImageBytes: e.CTGI_MAX_IMAGE_BYTES ?? DEFAULT_MAX_IMAGE_BYTES,
    ...llmConfig(e),
    mllmConcurrency: e.CTGI_MLLM_CONCURRENCY ?? DEFAULT_MLLM_CONCURRENCY,
    database: e.CTGI_DATABASE_URL ? { url: e.CTGI_DATABASE_URL, ...(e.CTGI_DATABASE_TLS ? { tls: e.CTGI_DATABASE_TLS } : {}), ...(e.CTGI_DATABASE_CA_FILE ? { caFile: resolve(e.CTGI_DATABASE_CA_FILE) } : {}), ...(e.CTGI_DATABASE_BUILD_MEMORY_MB !== undefined ? { buildMemoryMb: e.CTGI_DATABASE_BUILD_MEMORY_MB } : {}) } : undefined,
    mllmLogFile: e.CTGI_MLLM_LOG ? resolve(e.CTGI_MLLM_LOG) : undefined,
    conversation: {
      // With CTGI_DATABASE_URL, CTGI_INDEX names a gallery in that database rather than a folder.
      indexDir: e.CTGI_INDEX ? (e.CTGI_DATABASE_URL ? e.CTGI_INDEX : resolve(e.CTGI_INDEX)) : undefined,
      checkpointFile: join(home, 'conversations.sqlite'),
      auditFile: join(home, 'audit.sqlite'),
      witnessTimeoutSeconds: e.CTGI_WITNESS_TIMEOUT_S ?? DEFAULT_WITNESS_TIMEOUT_S,
      witnessQuestionsPerRound: e.CTGI_WITNESS_QUESTIONS ?? 2,
      lambda: e.CTGI_LAMBDA,
      retentionDays: e.CTGI_CONVERSATION_RETENTION_DAYS ?? DEFAULT_CONVERSATION_RETENTION_DAYS,
      timeZone: e.CTGI_TIMEZONE ?? systemTimeZone(),
      timelineMinCosine: e.CTGI_TIMELINE_MIN_COSINE ?? DEFAULT_TIMELINE_MIN_COSINE,
    },
    web: {
      host: e.CTGI_WEB_HOST ?? '127.0.0.1',
      port: e.CTGI_WEB_PORT ?? 3000,
      token: e.CTGI_WEB_TOKEN,
      sessionsFile: join(home, 'web-sessions.sqlite'),
      trustedProxies: e.CTGI_WEB_TRUSTED_PROXY ?? [],
      heartbeatSeconds: e.CTGI_WEB_HEARTBEAT_S ?? 20,
      streamIdleSeconds: e.CTGI_WEB_STREAM_IDLE_S ?? 600,
      maxStreams: e.CTGI_WEB_MAX_STREAMS ?? 256,
      maxStreamsPerAddress: e.CTGI_WEB_MAX_STREAMS_PER_ADDRESS ?? 16,
      maxSessionsPerAddress: e.CTGI_WEB_MAX_SESSIONS_PER_ADDRESS ?? 50,
    },
    witness: {
      publicUrl: e.CTGI_PUBLIC_URL?.replace(/\/+$/, ''),
      linkMinutes: e.CTGI_WITNESS_LINK_MINUTES ?? 120,
      linksFile: join(home, 'witness-links.sqlite'),
    },
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      mode: e.CTGI_SLACK_MODE ?? 'socket',
      port: e.CTGI_SLACK_PORT ?? 3001,
      allowedTeams: e.CTGI_SLACK_ALLOWED_TEAMS ?? [],
      allowedChannels: e.CTGI_SLACK_ALLOWED_CHANNELS ?? [],
      allowedUsers: e.CTGI_SLACK_ALLOWED_USERS ?? [],
    },
    discord: {
      token: e.DISCORD_TOKEN,
      applicationId: e.DISCORD_APPLICATION_ID,
      allowedGuilds: e.CTGI_DISCORD_ALLOWED_GUILDS ?? [],
      allowedChannels: e.CTGI_DISCORD_ALLOWED_CHANNELS ?? [],
      allowedRoles: e.CTGI_DISCORD_ALLOWED_ROLES ?? [],
    },
  };
}

type Env = z.infer<typeof envSchema>;

/**
 * The MLLM and Reconstructor endpoints. A base URL without a model (or the reverse) is refused, since
 * either alone is almost certainly a typo; the Reconstructor falls back to the MLLM's endpoint field by field.
 */
function llmConfig(e: Env): Pick<Config, 'mllm' | 'reconstructor'> {
  if (Boolean(e.CTGI_MLLM_BASE_URL) !== Boolean(e.CTGI_MLLM_MODEL)) {
    throw new CtgiError('CONFIG_INVALID', 'Set both CTGI_MLLM_BASE_URL and CTGI_MLLM_MODEL (or neither, for witness-only search).');
  }
  const common = { timeoutMs: e.CTGI_MLLM_TIMEOUT_MS ?? DEFAULT_MLLM_TIMEOUT_MS, maxRetries: e.CTGI_MLLM_MAX_RETRIES ?? DEFAULT_MLLM_MAX_RETRIES };
  const mllm: LlmEndpointConfig | undefined =
    e.CTGI_MLLM_BASE_URL && e.CTGI_MLLM_MODEL
      ? { baseUrl: e.CTGI_MLLM_BASE_URL, model: e.CTGI_MLLM_MODEL, apiKey: e.CTGI_MLLM_API_KEY, temperature: e.CTGI_MLLM_TEMPERATURE ?? DEFAULT_TEMPERATURE, ...common }
      : undefined;
  const baseUrl = e.CTGI_RECONSTRUCTOR_BASE_URL ?? mllm?.baseUrl;
  const model = e.CTGI_RECONSTRUCTOR_MODEL ?? mllm?.model;
  if (e.CTGI_RECONSTRUCTOR_BASE_URL && !model) {
    throw new CtgiError('CONFIG_INVALID', 'CTGI_RECONSTRUCTOR_BASE_URL is set but no model: set CTGI_RECONSTRUCTOR_MODEL too.');
  }
  const reconstructor: LlmEndpointConfig | undefined =
    baseUrl && model
      ? {
          baseUrl,
          model,
          // A separate endpoint never inherits the MLLM's key: it may belong to another provider.
          apiKey: e.CTGI_RECONSTRUCTOR_API_KEY ?? (e.CTGI_RECONSTRUCTOR_BASE_URL ? undefined : e.CTGI_MLLM_API_KEY),
          temperature: e.CTGI_RECONSTRUCTOR_TEMPERATURE ?? e.CTGI_MLLM_TEMPERATURE ?? DEFAULT_TEMPERATURE,
          ...common,
        }
      : undefined;
  return { mllm, reconstructor };
}
