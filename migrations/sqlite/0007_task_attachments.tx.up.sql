CREATE TABLE task_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id      BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    blob_hash    TEXT NOT NULL REFERENCES blobs (hash),
    size         BIGINT NOT NULL,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX task_attachments_task ON task_attachments (task_id);
