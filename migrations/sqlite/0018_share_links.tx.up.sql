CREATE TABLE share_links (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT NOT NULL UNIQUE,
    node_id       BIGINT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    created_by    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mode          TEXT NOT NULL CHECK (mode IN ('read', 'upload')),
    password_hash TEXT NOT NULL DEFAULT '',
    expires_at    TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP
);
--bun:split
CREATE INDEX share_links_node ON share_links (node_id);
