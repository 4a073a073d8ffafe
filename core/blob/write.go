package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"os"
	"sync"
)

// Content is read in chunks. What fits the first, small one is hashed and
// written on the caller's goroutine. Anything larger goes through a
// pipeline of bigger chunks: the caller's goroutine receives, one
// goroutine hashes and another writes, so the three overlap. The writer
// goes through the page cache, so a file just uploaded is read back from
// memory, but it starts the write-back of each chunk as soon as it is
// written and waits for it a few chunks later (writeBehind): the content
// must be synced before Put returns anyway, and this way the final sync
// waits for the last chunks only, and an upload holds at most a few MiB
// of dirty pages, however large it is.
const (
	firstChunk = 64 << 10 // small content fits here
	chunkSize  = 1 << 20  // later chunks of large content
	chunkDepth = 4        // large chunks one upload holds
	behindLag  = 16 << 20 // write-back of what is this far behind is waited for
)

// buffers keeps chunk buffers between uploads.
type buffers struct {
	first, large sync.Pool
}

func (b *buffers) get(size int) []byte {
	p := &b.large
	if size == firstChunk {
		p = &b.first
	}
	if v, ok := p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, size)
}

func (b *buffers) put(buf []byte) {
	buf = buf[:cap(buf)]
	if len(buf) == firstChunk {
		b.first.Put(&buf)
	} else {
		b.large.Put(&buf)
	}
}

// write copies r into f and returns the SHA-256 of what it wrote, and its
// size.
func (s *Store) write(ctx context.Context, f *os.File, r io.Reader) ([]byte, int64, error) {
	h := sha256.New()
	first := s.bufs.get(firstChunk)
	defer s.bufs.put(first)
	n, err := readChunk(ctx, r, first)
	if err == io.EOF {
		// Small content: no pipeline.
		h.Write(first[:n])
		_, err = f.Write(first[:n])
		return h.Sum(nil), int64(n), err
	}
	if err != nil {
		return nil, 0, err
	}
	return s.pipeline(ctx, f, r, h, first)
}

// readChunk fills buf from r; io.EOF means the content ended within buf.
// Any other error of r is kept as it is: a request body cut short reads
// io.ErrUnexpectedEOF, which must fail the write, not end it (io.ReadFull
// would report both cases alike).
func readChunk(ctx context.Context, r io.Reader, buf []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			if err == io.EOF && n == len(buf) {
				err = nil
			}
			return n, err
		}
	}
	return n, ctx.Err()
}

// pipeline writes first (full) and the rest of r to f. This goroutine
// reads; chunks go to the hasher, then to the writer, then back here.
func (s *Store) pipeline(ctx context.Context, f *os.File, r io.Reader, h hash.Hash, first []byte) ([]byte, int64, error) {
	toHash := make(chan []byte, chunkDepth+1)
	toWrite := make(chan []byte, chunkDepth+1)
	free := make(chan []byte, chunkDepth)
	stop := make(chan struct{}) // closed by the writer when it fails
	var written int64
	var werr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for b := range toHash {
			h.Write(b)
			toWrite <- b
		}
		close(toWrite)
	}()
	go func() {
		defer wg.Done()
		w := newChunkWriter(f)
		for b := range toWrite {
			if werr == nil {
				if werr = w.write(b); werr != nil {
					close(stop)
				}
				written += int64(len(b))
			}
			if cap(b) != firstChunk {
				free <- b
			}
		}
	}()
	var buffers [][]byte // large chunks this upload took from the pool
	toHash <- first
	var rerr error
	for rerr == nil {
		var buf []byte
		if len(buffers) < chunkDepth {
			buf = s.bufs.get(chunkSize)
			buffers = append(buffers, buf)
		} else {
			select {
			case buf = <-free:
			case <-stop:
			}
			if buf == nil {
				break
			}
		}
		var n int
		n, rerr = readChunk(ctx, r, buf[:cap(buf)])
		if n > 0 {
			toHash <- buf[:n]
		}
	}
	close(toHash)
	wg.Wait()
	for _, b := range buffers {
		s.bufs.put(b)
	}
	if rerr == io.EOF {
		rerr = nil
	}
	if err := errors.Join(werr, rerr); err != nil {
		return nil, 0, err
	}
	return h.Sum(nil), written, nil
}

// chunkWriter writes chunks in order and keeps their write-back going
// (see writeBehind).
type chunkWriter struct {
	f      *os.File
	off    int64 // bytes written
	waited int64 // bytes whose write-back was waited for
}

func newChunkWriter(f *os.File) *chunkWriter { return &chunkWriter{f: f} }

func (w *chunkWriter) write(b []byte) error {
	if _, err := w.f.Write(b); err != nil {
		return err
	}
	start := w.off
	w.off += int64(len(b))
	wait := max(w.waited, w.off-behindLag)
	if err := writeBehind(w.f, start, w.off, w.waited, wait); err != nil {
		return err
	}
	w.waited = wait
	return nil
}
