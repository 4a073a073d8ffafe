package blob

import (
	"os"
	"syscall"
)

// errDirectRefused is what a direct write that the file system or the
// device cannot do (alignment) fails with; the writer falls back to the
// page cache.
var errDirectRefused = syscall.EINVAL

// setDirect turns direct I/O (O_DIRECT) on or off for f.
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e != 0 {
			serr = e
			return
		}
		if on {
			flags |= syscall.O_DIRECT
		} else {
			flags &^= syscall.O_DIRECT
		}
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags); e != 0 {
			serr = e
		}
	})
	if err != nil {
		return err
	}
	return serr
}
