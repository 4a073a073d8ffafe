CREATE TABLE ap_blocks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('actor', 'domain')),
    value      TEXT NOT NULL,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, value)
);
