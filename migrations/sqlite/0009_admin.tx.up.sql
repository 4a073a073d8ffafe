CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL DEFAULT '',
    attachments     TEXT NOT NULL DEFAULT '[]',
    newsletter_id   BIGINT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
--bun:split
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE status = 'pending';
--bun:split
CREATE INDEX mail_queue_newsletter ON mail_queue (newsletter_id);
--bun:split
CREATE TABLE notify_prefs (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    mode       TEXT NOT NULL CHECK (mode IN ('immediate', 'digest', 'off'))
);
--bun:split
CREATE TABLE notify_digest (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    line       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX notify_digest_account ON notify_digest (account_id);
--bun:split
CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    email        TEXT NOT NULL DEFAULT '',
    space_id     BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    account_type TEXT NOT NULL CHECK (account_type IN ('administrator', 'user', 'guest')),
    role         TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    account_id   BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    created_by   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP,
    used_by      BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
--bun:split
CREATE INDEX invitations_space ON invitations (space_id);
--bun:split
CREATE TABLE newsletters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id   BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    subject    TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    recipients INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP
);
--bun:split
CREATE INDEX newsletters_space ON newsletters (space_id);
--bun:split
CREATE TABLE newsletter_attachments (
    newsletter_id BIGINT NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    blob_hash     TEXT NOT NULL REFERENCES blobs (hash),
    size          BIGINT NOT NULL,
    PRIMARY KEY (newsletter_id, position)
);
--bun:split
CREATE TABLE event_proposals (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id       BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    summary        TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    starts_at      TIMESTAMP NOT NULL,
    ends_at        TIMESTAMP NOT NULL,
    proposer_name  TEXT NOT NULL,
    proposer_email TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by     BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    decided_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX event_proposals_space ON event_proposals (space_id, status);
