-- Up Migration
-- What several `ctgi serve` / bot processes share besides galleries: who started each conversation, when a
-- human last touched it, the timeout armed on its pending question or gallery, and the web chat's sessions.
-- (The dialogue checkpoints are LangGraph's PostgresSaver tables, created by its own setup().)
CREATE TABLE ctgi_thread_owner (
  thread TEXT PRIMARY KEY,
  user_id TEXT NOT NULL
);

CREATE TABLE ctgi_thread_activity (
  thread TEXT PRIMARY KEY,
  last_active BIGINT NOT NULL
);
CREATE INDEX ctgi_thread_activity_last ON ctgi_thread_activity (last_active);

-- One armed timeout per thread; the process whose UPDATE … WHERE fired_at IS NULL returns the row acts on it.
CREATE TABLE ctgi_conversation_timers (
  thread TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  arm_id TEXT NOT NULL,
  due_ms BIGINT NOT NULL,
  fired_at TIMESTAMPTZ
);
CREATE INDEX ctgi_conversation_timers_due ON ctgi_conversation_timers (due_ms) WHERE fired_at IS NULL;

-- Events a timeout produced, for every process's listeners (the browser's event stream may be open on another
-- server): one row per broadcast, announced with NOTIFY ctgi_conversation_events and kept an hour.
CREATE TABLE ctgi_conversation_events (
  id BIGSERIAL PRIMARY KEY,
  thread TEXT NOT NULL,
  events TEXT NOT NULL,
  claimed BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ctgi_conversation_events_created ON ctgi_conversation_events (created_at);

-- Only the SHA-256 of a cookie secret is stored (as in the SQLite file).
CREATE TABLE ctgi_web_sessions (
  secret_sha256 TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  thread TEXT NOT NULL,
  address TEXT NOT NULL,
  shown_images JSONB NOT NULL,
  last_seen_ms BIGINT NOT NULL
);
CREATE INDEX ctgi_web_sessions_seen ON ctgi_web_sessions (last_seen_ms);

-- Down Migration
DROP TABLE ctgi_web_sessions;
DROP TABLE ctgi_conversation_events;
DROP TABLE ctgi_conversation_timers;
DROP TABLE ctgi_thread_activity;
DROP TABLE ctgi_thread_owner;
