package blob

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// writeBehind starts the write-back of bytes [start, end) of f, just
// written, and waits for that of [from, to) (sync_file_range(2)). It
// makes no data durable by itself (no metadata, no device cache flush):
// the fsync that follows the last chunk does. A file system that does
// not support it leaves the whole write-back to that fsync.
func writeBehind(f *os.File, start, end, from, to int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SyncFileRange(int(fd), start, end-start, unix.SYNC_FILE_RANGE_WRITE)
		if serr == nil && to > from {
			serr = unix.SyncFileRange(int(fd), from, to-from,
				unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		}
	})
	if serr == unix.ENOSYS || serr == unix.EINVAL || serr == unix.EOPNOTSUPP || serr == unix.ESPIPE {
		serr = nil
	}
	return errors.Join(err, serr)
}
