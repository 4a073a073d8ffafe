//go:build unix

package files

import "syscall"

// freeBytes is the space left on the file system holding dir, reported
// as quota-available-bytes when a tree has no quota.
func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
