CREATE TABLE search_queue (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    ref_id    BIGINT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    actor_id  BIGINT,
    queued_at TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE search_docs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    ref_id       BIGINT NOT NULL,
    module       TEXT NOT NULL,
    space_id     BIGINT,
    container_id BIGINT NOT NULL,
    author_id    BIGINT,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (kind, ref_id)
);
--bun:split
CREATE INDEX search_docs_container ON search_docs (container_id);
--bun:split
CREATE VIRTUAL TABLE search_fts USING fts5 (title, body, content = 'search_docs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
--bun:split
CREATE TRIGGER search_docs_fts_ins AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.id, NEW.title, NEW.body);
END;
--bun:split
CREATE TRIGGER search_docs_fts_del AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.id, OLD.title, OLD.body);
END;
--bun:split
CREATE TRIGGER search_docs_fts_upd AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.id, OLD.title, OLD.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.id, NEW.title, NEW.body);
END;
--bun:split
CREATE TABLE activity_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    module       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    ref_id       BIGINT NOT NULL,
    verb         TEXT NOT NULL CHECK (verb IN ('create', 'update', 'delete')),
    space_id     BIGINT,
    container_id BIGINT NOT NULL,
    actor_id     BIGINT,
    author_id    BIGINT,
    title        TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    UNIQUE (kind, ref_id, verb, at)
);
--bun:split
CREATE INDEX activity_events_at ON activity_events (at);
--bun:split
CREATE INDEX activity_events_space ON activity_events (space_id, at);
--bun:split
CREATE TABLE activity_feeds (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX activity_feeds_account ON activity_feeds (account_id);
--bun:split
CREATE TABLE wiki_pages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ref          TEXT NOT NULL UNIQUE,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    space_id     BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('markdown', 'html')),
    version      INTEGER NOT NULL,
    is_main      BOOLEAN NOT NULL DEFAULT FALSE,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    editor_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    locked_by    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    locked_until TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX wiki_pages_container ON wiki_pages (container_id, title);
--bun:split
CREATE UNIQUE INDEX wiki_pages_main ON wiki_pages (space_id) WHERE is_main;
--bun:split
CREATE TABLE wiki_versions (
    page_id    BIGINT NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    format     TEXT NOT NULL,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (page_id, version)
);
--bun:split
CREATE TABLE wiki_tags (
    page_id BIGINT NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (page_id, tag)
);
--bun:split
CREATE INDEX wiki_tags_tag ON wiki_tags (tag);
--bun:split
CREATE TABLE wiki_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id    BIGINT NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX wiki_comments_page ON wiki_comments (page_id, id);
--bun:split
CREATE TABLE links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    editor_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX links_container ON links (container_id, id);
--bun:split
CREATE TABLE link_tags (
    link_id BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (link_id, tag)
);
--bun:split
CREATE TABLE link_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id      BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    blob_hash    TEXT NOT NULL REFERENCES blobs (hash),
    size         BIGINT NOT NULL,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX link_attachments_link ON link_attachments (link_id);
--bun:split
CREATE TRIGGER file_nodes_search_ins AFTER INSERT ON file_nodes FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('file', NEW.id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER file_nodes_search_upd AFTER UPDATE OF name, blob_hash, trashed_at, parent_id, container_id ON file_nodes FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('file', NEW.id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER file_nodes_search_del AFTER DELETE ON file_nodes FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('file', OLD.id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER dav_members_search_ins AFTER INSERT ON dav_members FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('dav', NEW.object_id, 'create', NULL, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER dav_members_search_del AFTER DELETE ON dav_members FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('dav', OLD.object_id, 'delete', NULL, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER dav_objects_search_upd AFTER UPDATE OF data ON dav_objects FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('dav', NEW.id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_topics_search_ins AFTER INSERT ON forum_topics FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('topic', NEW.container_id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_topics_search_upd AFTER UPDATE OF title, body ON forum_topics FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('topic', NEW.container_id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_topics_search_del AFTER DELETE ON forum_topics FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('topic', OLD.container_id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_posts_search_ins AFTER INSERT ON forum_posts FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('post', NEW.id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_posts_search_upd AFTER UPDATE OF body ON forum_posts FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('post', NEW.id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER forum_posts_search_del AFTER DELETE ON forum_posts FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('post', OLD.id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER news_articles_search_ins AFTER INSERT ON news_articles FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('news', NEW.container_id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER news_articles_search_upd AFTER UPDATE OF title, summary, body ON news_articles FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('news', NEW.container_id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER news_articles_search_del AFTER DELETE ON news_articles FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('news', OLD.container_id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER tasks_search_ins AFTER INSERT ON tasks FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('task', NEW.id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER tasks_search_upd AFTER UPDATE OF title, description, container_id, status_id, start_date, due_date, priority, progress ON tasks FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('task', NEW.id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER tasks_search_del AFTER DELETE ON tasks FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('task', OLD.id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER polls_search_ins AFTER INSERT ON polls FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('poll', NEW.container_id, 'create', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER polls_search_upd AFTER UPDATE OF question, closes_at ON polls FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('poll', NEW.container_id, 'update', NEW.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER polls_search_del AFTER DELETE ON polls FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('poll', OLD.container_id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER wiki_pages_search_ins AFTER INSERT ON wiki_pages FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('wiki', NEW.id, 'create', NEW.editor_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER wiki_pages_search_upd AFTER UPDATE OF title, body, container_id, version, is_main ON wiki_pages FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('wiki', NEW.id, 'update', NEW.editor_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER wiki_pages_search_del AFTER DELETE ON wiki_pages FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('wiki', OLD.id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER links_search_ins AFTER INSERT ON links FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('link', NEW.id, 'create', NEW.editor_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER links_search_upd AFTER UPDATE OF url, title, description, container_id ON links FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('link', NEW.id, 'update', NEW.editor_id, CURRENT_TIMESTAMP);
END;
--bun:split
CREATE TRIGGER links_search_del AFTER DELETE ON links FOR EACH ROW BEGIN
    INSERT INTO search_queue (kind, ref_id, op, actor_id, queued_at) VALUES ('link', OLD.id, 'delete', OLD.author_id, CURRENT_TIMESTAMP);
END;
