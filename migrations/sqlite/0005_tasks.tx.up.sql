ALTER TABLE accounts ADD COLUMN date_format TEXT NOT NULL DEFAULT 'iso';
--bun:split
ALTER TABLE accounts ADD COLUMN personal_calendar BOOLEAN NOT NULL DEFAULT TRUE;
--bun:split
CREATE TABLE task_statuses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    visible      BOOLEAN NOT NULL DEFAULT TRUE,
    done         BOOLEAN NOT NULL DEFAULT FALSE
);
--bun:split
CREATE INDEX task_statuses_container ON task_statuses (container_id, position);
--bun:split
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status_id    BIGINT NOT NULL REFERENCES task_statuses (id),
    start_date   TEXT,
    due_date     TEXT,
    priority     TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    progress     INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    position     BIGINT NOT NULL,
    author_id    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX tasks_container ON tasks (container_id, position);
--bun:split
CREATE TABLE task_assignees (
    task_id    BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, account_id)
);
--bun:split
CREATE INDEX task_assignees_account ON task_assignees (account_id);
--bun:split
CREATE TABLE task_tags (
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (task_id, tag)
);
--bun:split
CREATE TABLE task_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id    BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX task_comments_task ON task_comments (task_id, id);
--bun:split
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL
);
