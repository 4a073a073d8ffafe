-- Comments and tags on files and folders (issue 18): the web page shows
-- and edits them; core/files owns both tables.
CREATE TABLE file_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id    BIGINT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX file_comments_node ON file_comments (node_id, id);
--bun:split
CREATE TABLE file_tags (
    node_id BIGINT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (node_id, tag)
);
--bun:split
CREATE INDEX file_tags_tag ON file_tags (tag);
