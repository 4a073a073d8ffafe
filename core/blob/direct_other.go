//go:build !linux

package blob

import (
	"errors"
	"os"
)

var errDirectRefused = errors.New("no direct I/O")

// setDirect reports that direct I/O is not used on this system.
func setDirect(f *os.File, on bool) error {
	if on {
		return errDirectRefused
	}
	return nil
}
