CREATE TABLE file_roots (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    space_id     BIGINT UNIQUE REFERENCES spaces (id) ON DELETE CASCADE,
    owner_id     BIGINT UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    quota_bytes  BIGINT NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0),
    CHECK ((space_id IS NULL) <> (owner_id IS NULL))
);
--bun:split
CREATE TABLE file_nodes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    root_id      BIGINT NOT NULL REFERENCES file_roots (container_id) ON DELETE CASCADE,
    parent_id    BIGINT REFERENCES file_nodes (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    is_dir       BOOLEAN NOT NULL,
    name         TEXT NOT NULL,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    blob_hash    TEXT NOT NULL DEFAULT '',
    size         BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0),
    content_type TEXT NOT NULL DEFAULT '',
    etag         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    modified_at  TIMESTAMP NOT NULL,
    trashed_at   TIMESTAMP,
    trashed_by   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    trash_path   TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE UNIQUE INDEX file_nodes_name ON file_nodes (parent_id, name) WHERE trashed_at IS NULL;
--bun:split
CREATE INDEX file_nodes_root ON file_nodes (root_id);
--bun:split
CREATE INDEX file_nodes_trash ON file_nodes (root_id, trashed_at) WHERE trashed_at IS NOT NULL;
--bun:split
CREATE INDEX file_nodes_container ON file_nodes (container_id);
--bun:split
CREATE TABLE file_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id      BIGINT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    blob_hash    TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    etag         TEXT NOT NULL,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    modified_at  TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX file_versions_node ON file_versions (node_id, id);
--bun:split
CREATE TABLE file_props (
    node_id   BIGINT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (node_id, namespace, name)
);
--bun:split
CREATE TABLE file_locks (
    token          TEXT PRIMARY KEY,
    root_id        BIGINT NOT NULL REFERENCES file_roots (container_id) ON DELETE CASCADE,
    path           TEXT NOT NULL,
    depth_infinity BOOLEAN NOT NULL,
    shared         BOOLEAN NOT NULL,
    owner_xml      TEXT NOT NULL DEFAULT '',
    account_id     BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    timeout_secs   BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX file_locks_root ON file_locks (root_id, path);
