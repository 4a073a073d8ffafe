CREATE TABLE ap_actors (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    uri            TEXT NOT NULL UNIQUE,
    type           TEXT NOT NULL,
    username       TEXT NOT NULL DEFAULT '',
    host           TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT NOT NULL DEFAULT '',
    followers      TEXT NOT NULL DEFAULT '',
    key_id         TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    fetched_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX ap_actors_key ON ap_actors (key_id);
--bun:split
CREATE TABLE forum_categories (
    container_id    BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    space_id        BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    slug            TEXT NOT NULL,
    handle          TEXT UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    remote_actor_id BIGINT REFERENCES ap_actors (id) ON DELETE SET NULL,
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (space_id, slug)
);
--bun:split
CREATE INDEX forum_categories_remote ON forum_categories (remote_actor_id);
--bun:split
CREATE TABLE forum_topics (
    container_id     BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    category_id      BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL DEFAULT '',
    author_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    remote_author_id BIGINT REFERENCES ap_actors (id) ON DELETE SET NULL,
    ap_id            TEXT,
    pinned           BOOLEAN NOT NULL DEFAULT FALSE,
    locked           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (category_id, ap_id)
);
--bun:split
CREATE INDEX forum_topics_category ON forum_topics (category_id, updated_at);
--bun:split
CREATE INDEX forum_topics_ap_id ON forum_topics (ap_id);
--bun:split
CREATE TABLE forum_posts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id         BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    in_reply_to_id   BIGINT REFERENCES forum_posts (id) ON DELETE SET NULL,
    body             TEXT NOT NULL,
    author_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    remote_author_id BIGINT REFERENCES ap_actors (id) ON DELETE SET NULL,
    ap_id            TEXT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (topic_id, ap_id)
);
--bun:split
CREATE INDEX forum_posts_topic ON forum_posts (topic_id, id);
--bun:split
CREATE INDEX forum_posts_ap_id ON forum_posts (ap_id);
--bun:split
CREATE TABLE forum_attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id   BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    post_id    BIGINT REFERENCES forum_posts (id) ON DELETE CASCADE,
    blob_hash  TEXT NOT NULL REFERENCES blobs (hash),
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX forum_attachments_topic ON forum_attachments (topic_id, post_id);
--bun:split
CREATE TABLE forum_subscriptions (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    mode         TEXT NOT NULL CHECK (mode IN ('immediate', 'digest')),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, container_id)
);
--bun:split
CREATE INDEX forum_subscriptions_container ON forum_subscriptions (container_id);
--bun:split
CREATE TABLE news_articles (
    container_id     BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    space_id         BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    summary          TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL DEFAULT '',
    image_hash       TEXT REFERENCES blobs (hash),
    image_type       TEXT NOT NULL DEFAULT '',
    author_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    remote_author_id BIGINT REFERENCES ap_actors (id) ON DELETE SET NULL,
    ap_id            TEXT,
    published_at     TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (space_id, ap_id)
);
--bun:split
CREATE INDEX news_articles_space ON news_articles (space_id, published_at);
--bun:split
CREATE INDEX news_articles_ap_id ON news_articles (ap_id);
--bun:split
CREATE TABLE polls (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    space_id     BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    question     TEXT NOT NULL,
    multiple     BOOLEAN NOT NULL DEFAULT FALSE,
    closes_at    TIMESTAMP,
    results      TEXT NOT NULL CHECK (results IN ('always', 'voted', 'closed')),
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX polls_space ON polls (space_id, created_at);
--bun:split
CREATE TABLE poll_options (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    poll_id  BIGINT NOT NULL REFERENCES polls (container_id) ON DELETE CASCADE,
    label    TEXT NOT NULL,
    position INTEGER NOT NULL
);
--bun:split
CREATE INDEX poll_options_poll ON poll_options (poll_id, position);
--bun:split
CREATE TABLE poll_ballots (
    poll_id    BIGINT NOT NULL REFERENCES polls (container_id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (poll_id, account_id)
);
--bun:split
CREATE TABLE poll_votes (
    poll_id    BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    option_id  BIGINT NOT NULL REFERENCES poll_options (id) ON DELETE CASCADE,
    PRIMARY KEY (poll_id, account_id, option_id),
    FOREIGN KEY (poll_id, account_id) REFERENCES poll_ballots (poll_id, account_id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX poll_votes_option ON poll_votes (option_id);
--bun:split
CREATE TABLE ap_keys (
    actor       TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE ap_follows (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    local_actor     TEXT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES ap_actors (id) ON DELETE CASCADE,
    direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    space_id        BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    container_id    BIGINT REFERENCES containers (id) ON DELETE CASCADE,
    activity_id     TEXT NOT NULL,
    accepted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (local_actor, remote_actor_id, direction)
);
--bun:split
CREATE INDEX ap_follows_remote ON ap_follows (remote_actor_id, direction);
--bun:split
CREATE TABLE ap_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id     TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    signer          TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    claimed_until   TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    done_at         TIMESTAMP,
    UNIQUE (activity_id, inbox)
);
--bun:split
CREATE INDEX ap_deliveries_due ON ap_deliveries (state, next_attempt_at);
--bun:split
CREATE TABLE ap_seen (
    activity_id TEXT PRIMARY KEY,
    received_at TIMESTAMP NOT NULL
);
