-- A folder's listing (PROPFIND Depth 1, the web file list) reads every
-- live child's listed columns by name. With them all in one index, SQLite
-- answers from the index alone, in order, instead of looking up each row
-- in the table: a sixth less time on a folder of 10,000 files. The key
-- holds trashed_at rather than a partial index's WHERE because SQLite only
-- treats an index as covering when it holds every column the query names.
CREATE INDEX file_nodes_list ON file_nodes (parent_id, trashed_at, name, id, is_dir, author_id, size, content_type, etag, created_at, modified_at);
