CREATE TABLE space_module_roles (
    space_id      BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    module        TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id  BIGINT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('administrator', 'editor', 'author', 'reader')),
    PRIMARY KEY (space_id, module, principal_kind, principal_id)
);
--bun:split
UPDATE containers SET owner_id = (SELECT n.author_id FROM news_articles n WHERE n.container_id = containers.id)
WHERE module = 'news' AND kind = 'item' AND owner_id IS NULL;
--bun:split
UPDATE containers SET owner_id = (SELECT p.author_id FROM polls p WHERE p.container_id = containers.id)
WHERE module = 'polls' AND kind = 'item' AND owner_id IS NULL;
--bun:split
ALTER TABLE invitations ADD COLUMN room_role TEXT NOT NULL DEFAULT '';
