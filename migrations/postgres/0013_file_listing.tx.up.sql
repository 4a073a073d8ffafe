-- A folder's listing (PROPFIND Depth 1, the web file list) reads every
-- live child's listed columns by name: the unique index on names carries
-- them, so the listing is an index-only scan.
DROP INDEX file_nodes_name;
--bun:split
CREATE UNIQUE INDEX file_nodes_name ON file_nodes (parent_id, name) INCLUDE (id, is_dir, author_id, size, content_type, etag, created_at, modified_at) WHERE trashed_at IS NULL;
