CREATE TABLE chat_conversations (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    space_id     BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    direct_key   TEXT UNIQUE,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX chat_conversations_space ON chat_conversations (space_id);
--bun:split
CREATE TABLE chat_participants (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (container_id) ON DELETE CASCADE,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_read_id    BIGINT NOT NULL DEFAULT 0,
    joined_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, account_id)
);
--bun:split
CREATE INDEX chat_participants_account ON chat_participants (account_id);
--bun:split
CREATE TABLE chat_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (container_id) ON DELETE CASCADE,
    author_id       BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    edited          BOOLEAN NOT NULL DEFAULT FALSE,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP NOT NULL,
    changed_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, id);
--bun:split
CREATE INDEX chat_messages_changed ON chat_messages (changed_at);
--bun:split
CREATE TABLE chat_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   BIGINT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    blob_hash    TEXT NOT NULL REFERENCES blobs (hash),
    size         BIGINT NOT NULL
);
--bun:split
CREATE INDEX chat_attachments_message ON chat_attachments (message_id);
--bun:split
CREATE TABLE chat_presence (
    conn_id    TEXT PRIMARY KEY,
    node       TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    space_id   BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX chat_presence_space ON chat_presence (space_id, expires_at);
--bun:split
CREATE INDEX chat_presence_node ON chat_presence (node);
