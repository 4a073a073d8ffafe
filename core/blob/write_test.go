package blob

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestChunkWriterFallback: a chunk direct I/O refuses (here, a buffer
// that is not aligned) goes through the page cache, and so does every
// chunk after it.
func TestChunkWriterFallback(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newChunkWriter(f)
	if !w.direct {
		t.Skip("no direct I/O on this file system")
	}
	var bufs buffers
	aligned := bufs.get(chunkSize)
	for i := range aligned {
		aligned[i] = byte(i)
	}
	unaligned := make([]byte, 2*alignment+1)[1:]
	for i := range unaligned {
		unaligned[i] = byte(i + 1)
	}
	var want []byte
	for _, b := range [][]byte{aligned, unaligned, aligned[:alignment+10]} {
		if err := w.write(b); err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
	}
	if w.direct {
		t.Error("still direct after a refusal")
	}
	got, _ := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if !bytes.Equal(got, want) {
		t.Errorf("content differs: %d bytes, want %d", len(got), len(want))
	}
}
