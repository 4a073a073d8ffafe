package blob

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPutLeavesContentCached: a large upload is written through the page
// cache, so reading it back right after comes from memory (written with
// direct I/O, none of it would be resident), and it is all there.
func TestPutLeavesContentCached(t *testing.T) {
	s, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	const size = 40<<20 + 12345 // more than behindLag, not a whole number of chunks
	src := make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(i * 7)
	}
	want := bytes.Repeat(src, size/len(src)+1)[:size]
	b, err := s.Put(context.Background(), bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(b.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.(*os.File).Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m) //nolint:errcheck
	pages := make([]byte, (size+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&pages[0]))); e != 0 {
		t.Fatal(e)
	}
	resident := 0
	for _, p := range pages {
		resident += int(p & 1)
	}
	if resident < len(pages)*9/10 {
		t.Errorf("%d of %d pages of the new blob are in the page cache", resident, len(pages))
	}
	got, err := io.ReadAll(f)
	if err != nil || b.Size != size || !bytes.Equal(got, want) {
		t.Errorf("content: %d bytes (size %d), err %v", len(got), b.Size, err)
	}
}
