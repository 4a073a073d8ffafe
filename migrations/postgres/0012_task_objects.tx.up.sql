ALTER TABLE tasks ADD COLUMN object_id BIGINT REFERENCES dav_objects (id) ON DELETE SET NULL;
--bun:split
CREATE UNIQUE INDEX tasks_object ON tasks (object_id);
--bun:split
ALTER TABLE tasks ADD COLUMN updated_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
