-- Comments on agenda events (core/calendar): on the stored object, so an
-- event held by several calendars has one thread; they go with it.
CREATE TABLE event_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id  BIGINT NOT NULL REFERENCES dav_objects (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX event_comments_object ON event_comments (object_id, id);
