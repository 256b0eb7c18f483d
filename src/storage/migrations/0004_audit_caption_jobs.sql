-- Up Migration
-- The audit trail (who asked what, where and when) and the MTG caption jobs, shared by every process.
CREATE TABLE ctgi_audit (
  id BIGSERIAL PRIMARY KEY,
  at TEXT NOT NULL,
  thread TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_name TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('description', 'answer', 'question', 'gallery', 'refusal', 'done', 'witness')),
  text TEXT,
  image_ids JSONB
);
CREATE INDEX ctgi_audit_at ON ctgi_audit ((at COLLATE "C"), id);

-- One caption job per name (what `--jobs` names for a folder run), with the settings it was started with.
CREATE TABLE ctgi_caption_job (
  name TEXT PRIMARY KEY,
  settings TEXT NOT NULL
);
CREATE TABLE ctgi_caption_job_image (
  job TEXT NOT NULL REFERENCES ctgi_caption_job (name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  seq BIGSERIAL,
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  initial_caption TEXT,
  caption TEXT,
  turns TEXT NOT NULL,
  error TEXT,
  attempts INTEGER NOT NULL,
  finished_at TEXT NOT NULL,
  PRIMARY KEY (job, key)
);
CREATE INDEX ctgi_caption_job_image_seq ON ctgi_caption_job_image (job, seq);

-- Down Migration
DROP TABLE ctgi_caption_job_image;
DROP TABLE ctgi_caption_job;
DROP TABLE ctgi_audit;
