package blob

import (
	"context"
	"io"
	"testing"
)

// BenchmarkPut1GiB writes 1 GiB of new content through Put (hash, write,
// fsync, rename), with no network in the way.
func BenchmarkPut1GiB(b *testing.B) {
	s, err := New(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, 1<<20)
	b.SetBytes(1 << 30)
	for i := range b.N {
		for j := range src {
			src[j] = byte(i + j)
		}
		r := io.LimitReader(&repeat{b: src}, 1<<30)
		if _, err := s.Put(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

type repeat struct {
	b   []byte
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}
