CREATE TABLE dav_collections (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('calendar', 'addressbook')),
    scope        TEXT NOT NULL,
    slug         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    color        TEXT NOT NULL DEFAULT '',
    sort_order   INTEGER NOT NULL DEFAULT 0,
    components   TEXT NOT NULL DEFAULT '',
    resource     BOOLEAN NOT NULL DEFAULT FALSE,
    personal     BOOLEAN NOT NULL DEFAULT FALSE,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    sync_seq     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, scope, slug)
);
--bun:split
CREATE TABLE dav_objects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    uid         TEXT NOT NULL,
    component   TEXT NOT NULL,
    data        TEXT NOT NULL,
    etag        TEXT NOT NULL,
    first_start BIGINT,
    last_end    BIGINT,
    busy        BOOLEAN NOT NULL DEFAULT TRUE,
    author_id   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE dav_members (
    collection_id BIGINT NOT NULL REFERENCES dav_collections (container_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    object_id     BIGINT NOT NULL REFERENCES dav_objects (id) ON DELETE CASCADE,
    uid           TEXT NOT NULL,
    PRIMARY KEY (collection_id, name),
    UNIQUE (collection_id, uid)
);
--bun:split
CREATE INDEX dav_members_object ON dav_members (object_id);
--bun:split
CREATE TABLE dav_changes (
    collection_id BIGINT NOT NULL REFERENCES dav_collections (container_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    deleted       BOOLEAN NOT NULL,
    PRIMARY KEY (collection_id, name)
);
--bun:split
CREATE INDEX dav_changes_seq ON dav_changes (collection_id, seq);
--bun:split
CREATE TABLE calendar_feeds (
    token_hash    TEXT PRIMARY KEY,
    collection_id BIGINT NOT NULL REFERENCES dav_collections (container_id) ON DELETE CASCADE,
    account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX calendar_feeds_account ON calendar_feeds (account_id);
