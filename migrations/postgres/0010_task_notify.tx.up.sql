CREATE TABLE notify_cursors (
    name TEXT PRIMARY KEY,
    at   TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE notify_task_state (
    task_id   BIGINT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL,
    assignees TEXT NOT NULL DEFAULT ''
);
