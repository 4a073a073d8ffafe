CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    type          TEXT NOT NULL CHECK (type IN ('owner', 'administrator', 'user', 'guest')),
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    language      TEXT NOT NULL DEFAULT 'en',
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
--bun:split
CREATE INDEX app_passwords_account ON app_passwords (account_id);
--bun:split
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX sessions_account ON sessions (account_id);
--bun:split
CREATE TABLE spaces (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    slug                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    public               BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash        TEXT NOT NULL DEFAULT '',
    allow_member_invites BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at          TIMESTAMP,
    created_at           TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE space_members (
    space_id   BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (space_id, account_id)
);
--bun:split
CREATE INDEX space_members_account ON space_members (account_id);
--bun:split
CREATE TABLE space_modules (
    space_id BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    module   TEXT NOT NULL,
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (space_id, module)
);
--bun:split
CREATE TABLE user_groups (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id   BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX user_groups_name ON user_groups (COALESCE(space_id, 0), name);
--bun:split
CREATE TABLE user_group_members (
    group_id   BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, account_id)
);
--bun:split
CREATE INDEX user_group_members_account ON user_group_members (account_id);
--bun:split
CREATE TABLE containers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id   BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    module     TEXT NOT NULL,
    parent_id  BIGINT REFERENCES containers (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    owner_id   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX containers_space_module ON containers (space_id, module);
--bun:split
CREATE INDEX containers_parent ON containers (parent_id);
--bun:split
CREATE INDEX containers_owner ON containers (owner_id);
--bun:split
CREATE TABLE grants (
    container_id   BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group', 'space', 'anonymous')),
    principal_id   BIGINT NOT NULL DEFAULT 0,
    level          SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 4),
    PRIMARY KEY (container_id, principal_kind, principal_id)
);
--bun:split
CREATE INDEX grants_principal ON grants (principal_kind, principal_id);
--bun:split
CREATE TABLE blobs (
    hash       TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    refs       BIGINT NOT NULL CHECK (refs >= 0),
    updated_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX blobs_unreferenced ON blobs (updated_at) WHERE refs = 0;
--bun:split
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
