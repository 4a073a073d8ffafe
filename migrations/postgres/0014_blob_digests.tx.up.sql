-- ownCloud and Nextcloud clients (rclone's owncloud vendor) compare a
-- file's SHA-1 or MD5 from oc:checksums, never the SHA-256 that names a
-- blob. Both are computed from the content the first time a client asks
-- (core/blob Digests) and kept here: '' means not computed yet.
ALTER TABLE blobs ADD COLUMN sha1 TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE blobs ADD COLUMN md5 TEXT NOT NULL DEFAULT '';
