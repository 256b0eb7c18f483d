-- Up Migration
-- Witness links (only the SHA-256 of their secret) and the relay outbox that carries a witness's answers to the
-- process rendering the operator's thread; shared by every ctgi serve / slack / discord process of a deployment.
CREATE TABLE ctgi_witness_links (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  thread TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  browser_hash TEXT,
  show_gallery BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX ctgi_witness_links_thread ON ctgi_witness_links (thread);
CREATE TABLE ctgi_witness_relay (
  id BIGSERIAL PRIMARY KEY,
  thread TEXT NOT NULL,
  events JSONB NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX ctgi_witness_relay_thread ON ctgi_witness_relay (thread text_pattern_ops);

-- Down Migration
DROP TABLE ctgi_witness_relay;
DROP TABLE ctgi_witness_links;
