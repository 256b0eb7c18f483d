-- Up Migration
-- Named galleries in one database (the PostgreSQL adapter of the Gallery port, src/gallery/postgres.gallery.ts).
-- Galleries of different models (so different dimensions) share one images table: the embedding columns are
-- untyped `vector` / `halfvec` (pgvector's documented way to mix dimensions) and each gallery gets its own
-- PARTIAL EXPRESSION HNSW index, created by the adapter's save() once the bulk load is in:
--   CREATE INDEX gallery_images_hnsw_<id> ON gallery_images
--     USING hnsw ((embedding::vector(<dim>)) vector_ip_ops) WITH (m = M, ef_construction = EF) WHERE gallery_id = <id>;
-- (halfvec galleries: ((embedding_half::halfvec(<dim>)) halfvec_ip_ops)), queried with the same expression.
CREATE TABLE galleries (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  manifest    jsonb NOT NULL,
  dim         integer NOT NULL CHECK (dim BETWEEN 1 AND 16000),
  vector_kind text NOT NULL CHECK (vector_kind IN ('vector', 'halfvec')),
  -- Image ids are allocated from this counter (UPDATE … RETURNING under the row lock): concurrent writers never collide.
  next_id     integer NOT NULL DEFAULT 1,
  -- Kept in the same transactions as the images, so count() and the exact/approximate choice cost one row read.
  image_count integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gallery_images (
  gallery_id       integer NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  id               integer NOT NULL CHECK (id >= 0),
  path             text NOT NULL,
  sha256           text NOT NULL,
  person_id        text,
  camera           text,
  -- The capture time for filters, and the ISO-8601 text as given (its offset and precision round-trip).
  captured_at      timestamptz,
  captured_at_text text,
  width            integer,
  height           integer,
  bytes            bigint NOT NULL,
  mtime_ms         double precision NOT NULL,
  added_at         timestamptz NOT NULL,
  footage          jsonb,
  embedding        vector,
  embedding_half   halfvec,
  PRIMARY KEY (gallery_id, id),
  UNIQUE (gallery_id, path),
  CHECK ((embedding IS NULL) <> (embedding_half IS NULL))
);
CREATE INDEX gallery_images_sha256 ON gallery_images (gallery_id, sha256);
CREATE INDEX gallery_images_camera_time ON gallery_images (gallery_id, camera, captured_at);
-- Time windows without a camera cannot use the (camera, time) index.
CREATE INDEX gallery_images_time ON gallery_images (gallery_id, captured_at);

CREATE TABLE gallery_captions (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gallery_id integer NOT NULL,
  image_id   integer NOT NULL,
  source     text NOT NULL,
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (gallery_id, image_id) REFERENCES gallery_images (gallery_id, id) ON DELETE CASCADE
);
CREATE INDEX gallery_captions_image ON gallery_captions (gallery_id, image_id, seq);

CREATE TABLE gallery_attribute_answers (
  gallery_id integer NOT NULL,
  image_id   integer NOT NULL,
  attribute  text NOT NULL,
  source     text NOT NULL,
  question   text NOT NULL,
  answer     text NOT NULL,
  confidence double precision,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gallery_id, image_id, attribute, source),
  FOREIGN KEY (gallery_id, image_id) REFERENCES gallery_images (gallery_id, id) ON DELETE CASCADE
);

CREATE TABLE gallery_skipped (
  gallery_id integer NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  path       text NOT NULL,
  reason     text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gallery_id, path)
);

-- Down Migration
DROP TABLE gallery_skipped;
DROP TABLE gallery_attribute_answers;
DROP TABLE gallery_captions;
DROP TABLE gallery_images;
DROP TABLE galleries;
