-- Up Migration
-- Embeddings stay in the heap row (MAIN: moved out of line only when a row could not fit a page). A 512-d
-- `vector` is 2 KB, just over the TOAST threshold, so by default every one went to the TOAST table and a
-- search's candidate read paid a TOAST index lookup and two more page reads per candidate. Rows stored from
-- now on are kept inline; earlier rows stay as they are (`ctgi index migrate` out to a folder and
-- into a new gallery rewrites them).
ALTER TABLE gallery_images ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE gallery_images ALTER COLUMN embedding_half SET STORAGE MAIN;

-- Down Migration
ALTER TABLE gallery_images ALTER COLUMN embedding SET STORAGE EXTENDED;
ALTER TABLE gallery_images ALTER COLUMN embedding_half SET STORAGE EXTENDED;
