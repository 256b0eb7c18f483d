-- Up Migration
-- Every ctgi schema object builds on pgvector (embeddings as vector(d) / halfvec(d), HNSW on inner product).
CREATE EXTENSION IF NOT EXISTS vector;

-- Down Migration
-- The extension stays: other schemas of the same database may use it.
SELECT 1;
