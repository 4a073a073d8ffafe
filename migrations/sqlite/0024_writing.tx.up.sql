-- Writing modules (issue 18): the in-app notification list and generic
-- follows (core/notify), forum read state, the Markdown source of forum
-- and news texts (the body column keeps the rendered, sanitized HTML that
-- federation and search read), and comments on news.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
--bun:split
CREATE INDEX notifications_account ON notifications (account_id, id);
--bun:split
CREATE TABLE follows (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    target_id  INTEGER NOT NULL,
    sub_key    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, kind, target_id, sub_key)
);
--bun:split
CREATE INDEX follows_target ON follows (kind, target_id);
--bun:split
CREATE TABLE forum_reads (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    read_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, topic_id)
);
--bun:split
ALTER TABLE forum_topics ADD COLUMN source TEXT;
--bun:split
ALTER TABLE forum_posts ADD COLUMN source TEXT;
--bun:split
ALTER TABLE news_articles ADD COLUMN source TEXT;
--bun:split
CREATE TABLE news_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX news_comments_article ON news_comments (article_id, id);
