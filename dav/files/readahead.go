package files

import "io"

// readahead reads its source in a goroutine, a few large chunks ahead, so
// receiving an upload overlaps with hashing and writing it.
type readahead struct {
	full chan chunk
	free chan []byte
	done chan struct{}
	cur  chunk
	off  int
}

type chunk struct {
	b   []byte
	err error
}

const (
	aheadChunk = 1 << 20
	aheadDepth = 4
)

func newReadahead(src io.Reader) *readahead {
	r := &readahead{full: make(chan chunk, aheadDepth), free: make(chan []byte, aheadDepth), done: make(chan struct{})}
	for range aheadDepth {
		r.free <- make([]byte, aheadChunk)
	}
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-r.free:
			case <-r.done:
				return
			}
			n, err := io.ReadFull(src, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case r.full <- chunk{buf[:n], err}:
			case <-r.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *readahead) Read(p []byte) (int, error) {
	for r.off >= len(r.cur.b) {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.b != nil {
			r.free <- r.cur.b[:cap(r.cur.b)]
		}
		r.cur, r.off = <-r.full, 0
	}
	n := copy(p, r.cur.b[r.off:])
	r.off += n
	return n, nil
}

// Close stops the reading goroutine (the source is not closed).
func (r *readahead) Close() { close(r.done) }
