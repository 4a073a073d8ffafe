-- Each person's dashboard layout (core/settings): the widgets of their
-- personal home and of space dashboards, in order, hidden ones marked.
CREATE TABLE dashboard_widgets (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    layout     TEXT NOT NULL,
    PRIMARY KEY (account_id, scope)
);
