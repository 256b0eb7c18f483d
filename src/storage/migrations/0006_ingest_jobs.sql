-- Up Migration
-- The job table of shared index builds: every `ctgi index build --database` process working on a gallery
-- joins its one open run, enqueues its images (idempotently, by stored path) and claims batches with
-- FOR UPDATE SKIP LOCKED under a lease; a batch is marked done right after its images are stored, and an
-- expired lease (a killed worker) puts its images back in the queue.
CREATE TABLE ingest_runs (
  id          bigserial PRIMARY KEY,
  gallery     text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- At most one open run per gallery: concurrent builds join it instead of starting their own.
CREATE UNIQUE INDEX ingest_runs_open ON ingest_runs (gallery) WHERE finished_at IS NULL;

CREATE TABLE ingest_jobs (
  run_id      bigint NOT NULL REFERENCES ingest_runs (id) ON DELETE CASCADE,
  seq         bigserial,
  stored_path text NOT NULL,
  abs_path    text NOT NULL,
  -- The rest of the item (person id, camera, capture time, captions, footage facts).
  item        jsonb NOT NULL,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
  claimed_by  text,
  lease_until timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  done_by     text,
  done_at     timestamptz,
  PRIMARY KEY (run_id, stored_path)
);
CREATE INDEX ingest_jobs_pending ON ingest_jobs (run_id, seq) WHERE state = 'pending';

-- Down Migration
DROP TABLE ingest_jobs;
DROP TABLE ingest_runs;
