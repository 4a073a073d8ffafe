package files

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/store"
)

// listBatch is how many nodes a listing hands over at a time.
const listBatch = 500

// Children lists the nodes in folder dir that who may read, by name.
func (s *Service) Children(ctx context.Context, who core.Subject, dir *Node) ([]Node, error) {
	var out []Node
	err := s.ListChildren(ctx, who, dir, func(b []Node) error {
		out = append(out, b...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.IsSortedFunc(out, byName) {
		// PostgreSQL may order names by a collation, not by bytes.
		slices.SortFunc(out, byName)
	}
	return out, nil
}

func byName(a, b Node) int { return strings.Compare(a.Name, b.Name) }

// ListChildren calls f with the nodes in folder dir that who may read, in
// batches, by name. Files inherit their folder's grants, so the folder's
// level is computed once for all of them (plus the author rule);
// subfolders, which carry their own grants, are looked up with the ACL
// expression. A large folder streams: another goroutine reads the next
// batch while f handles one. f runs on the calling goroutine and must
// neither keep nor change the nodes it is given (copy them); an error
// from f stops the listing and is returned.
func (s *Service) ListChildren(ctx context.Context, who core.Subject, dir *Node, f func([]Node) error) error {
	var cl acl.Level
	expr, args := acl.LevelSQL(who, "c", "")
	if err := s.db.NewRaw("SELECT "+expr+" FROM containers c WHERE c.id = ?", append(args, dir.ContainerID)...).
		Scan(ctx, &cl); err != nil {
		return store.Translate(err)
	}
	if cl < acl.Read {
		// Only what carries its own grants, or who wrote, may show.
		ns, err := s.readableChildren(ctx, who, dir, nil)
		if err != nil {
			return err
		}
		for len(ns) > 0 {
			k := min(len(ns), listBatch)
			if err := f(ns[:k]); err != nil {
				return err
			}
			ns = ns[k:]
		}
		return nil
	}
	level := func(n *Node) {
		n.Level = acl.ItemLevel(cl, n.AuthorID != nil && *n.AuthorID == who.AccountID && !who.IsAnonymous())
	}
	src := s.openChildren(ctx, dir, level)
	defer src.close()
	var out []Node
	for {
		batch, err := src.next()
		if err != nil {
			return err
		}
		if batch == nil {
			return nil
		}
		var dirs []int64
		for i := range batch {
			if batch[i].IsDir {
				dirs = append(dirs, batch[i].ID)
			}
		}
		if len(dirs) > 0 {
			// Subfolders: read live, with who's level on each.
			readable, err := s.readableChildren(ctx, who, dir, dirs)
			if err != nil {
				return err
			}
			byID := make(map[int64]*Node, len(readable))
			for i := range readable {
				byID[readable[i].ID] = &readable[i]
			}
			out = out[:0]
			for _, n := range batch {
				if !n.IsDir {
					out = append(out, n)
				} else if d := byID[n.ID]; d != nil {
					out = append(out, *d)
				}
			}
			batch = out
		}
		if len(batch) > 0 {
			if err := f(batch); err != nil {
				return err
			}
		}
	}
}

// readableChildren reads the live children of dir that who may read
// through the ACL expression (only those in ids when ids is not nil), by
// name.
func (s *Service) readableChildren(ctx context.Context, who core.Subject, dir *Node, ids []int64) ([]Node, error) {
	var ns []Node
	expr, args := levelExpr(who)
	q := s.selectNodes(s.db.DB, who, &ns).Where("n.parent_id = ? AND n.trashed_at IS NULL", dir.ID).
		Where("("+expr+") >= ?", append(args, acl.Read)...)
	if ids != nil {
		q = q.Where("n.id IN (?)", bun.In(ids))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for i := range ns {
		itemLevel(&ns[i])
	}
	slices.SortFunc(ns, byName)
	return ns, nil
}

// childSource hands out the children of a folder in batches: copies of
// a cached listing, or batches a goroutine reads from the database. Files
// come with their level; folders with their name and id only.
type childSource struct {
	cached []Node // shared with the cache: read only
	level  func(*Node)
	buf    []Node
	ch     chan childBatch
	cancel context.CancelFunc
}

type childBatch struct {
	nodes []Node
	err   error
}

// openChildren starts listing the children of dir, files given their
// level.
func (s *Service) openChildren(ctx context.Context, dir *Node, level func(*Node)) *childSource {
	if files, ok := s.lists.get(dir); ok {
		return &childSource{cached: files, level: level}
	}
	ctx, cancel := context.WithCancel(ctx)
	src := &childSource{ch: make(chan childBatch, 2), cancel: cancel}
	go s.readChildren(ctx, dir, level, src.ch)
	return src
}

// next returns the next batch of files; nil at the end.
func (src *childSource) next() ([]Node, error) {
	if src.ch == nil {
		if len(src.cached) == 0 {
			return nil, nil
		}
		k := min(len(src.cached), listBatch)
		src.buf = append(src.buf[:0], src.cached[:k]...)
		src.cached = src.cached[k:]
		for i := range src.buf {
			if !src.buf[i].IsDir {
				src.level(&src.buf[i])
			}
		}
		return src.buf, nil
	}
	b, ok := <-src.ch
	if !ok {
		return nil, nil
	}
	return b.nodes, b.err
}

// close stops the reading goroutine and waits for it to finish.
func (src *childSource) close() {
	if src.ch == nil {
		return
	}
	src.cancel()
	for range src.ch {
	}
}

// readChildren reads the live children of folder dir, by name, in
// batches sent to out (closed at the end), and keeps a large listing in
// the cache.
func (s *Service) readChildren(ctx context.Context, dir *Node, level func(*Node), out chan<- childBatch) {
	defer close(out)
	send := func(b childBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var all [][]Node
	count := 0
	emit := func(batch []Node) bool {
		for i := range batch {
			if !batch[i].IsDir {
				level(&batch[i])
			}
		}
		all = append(all, batch)
		count += len(batch)
		return send(childBatch{nodes: batch})
	}
	var err error
	if s.db.Kind == store.Postgres {
		err = s.scanChildren(ctx, dir, -1, emit)
	} else {
		err = s.scanHalves(ctx, dir, emit)
	}
	if err != nil {
		send(childBatch{err: err})
		return
	}
	if ctx.Err() == nil && s.lists.wants(dir, count) {
		files := make([]Node, 0, count)
		for _, b := range all {
			files = append(files, b...)
		}
		s.lists.put(dir, files)
	}
}

// scanHalves reads the children of dir as two halves, odd and even ids,
// on two connections at once, and merges them by name: with SQLite,
// decoding rows is what the listing of a large folder waits for, and one
// goroutine does it at a time per query. Each half is one query, so a
// node renamed meanwhile shows once, at one of its names.
func (s *Service) scanHalves(ctx context.Context, dir *Node, emit func([]Node) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	var halves [2]chan childBatch
	for i := range halves {
		halves[i] = make(chan childBatch, 2)
		go func() {
			defer close(halves[i])
			err := s.scanChildren(ctx, dir, i, func(b []Node) bool {
				select {
				case halves[i] <- childBatch{nodes: b}:
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil {
				select {
				case halves[i] <- childBatch{err: err}:
				case <-ctx.Done():
				}
			}
		}()
	}
	defer func() {
		cancel()
		for _, h := range halves {
			for range h {
			}
		}
	}()
	var cur [2][]Node
	var done [2]bool
	fill := func(i int) error {
		for len(cur[i]) == 0 && !done[i] {
			b, ok := <-halves[i]
			if !ok {
				done[i] = true
			} else if b.err != nil {
				return b.err
			} else {
				cur[i] = b.nodes
			}
		}
		return nil
	}
	out := make([]Node, 0, listBatch)
	for {
		if err := fill(0); err != nil {
			return err
		}
		if err := fill(1); err != nil {
			return err
		}
		i := 0
		switch {
		case len(cur[0]) == 0 && len(cur[1]) == 0:
			if len(out) > 0 && !emit(out) {
				return ctx.Err()
			}
			return nil
		case len(cur[0]) == 0 || len(cur[1]) > 0 && cur[1][0].Name < cur[0][0].Name:
			i = 1
		}
		out = append(out, cur[i][0])
		cur[i] = cur[i][1:]
		if len(out) == listBatch {
			if !emit(out) {
				return ctx.Err()
			}
			out = make([]Node, 0, listBatch)
		}
	}
}

// scanChildren reads the live children of dir by name (those with an id
// of that parity, unless parity is -1) and calls batch with them (fresh
// slices), until it returns false. It reads the columns a listing shows
// of a file (the folder's root and container are its files' too); a
// subfolder is read again, whole, when listed.
func (s *Service) scanChildren(ctx context.Context, dir *Node, parity int, batch func([]Node) bool) error {
	stamps := `CAST(created_at AS TEXT), CAST(modified_at AS TEXT)` // parsed here: faster than in SQLite
	if s.db.Kind == store.Postgres {
		stamps = `created_at, modified_at`
	}
	where, args := "", []any{dir.ID}
	if parity >= 0 {
		where, args = " AND id % 2 = ?", append(args, parity)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, is_dir, author_id, blob_hash, size, content_type, etag, `+stamps+
		` FROM file_nodes WHERE parent_id = ? AND trashed_at IS NULL`+where+` ORDER BY name`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	parent := dir.ID
	b := make([]Node, 0, listBatch)
	authors := make([]int64, listBatch) // what AuthorID points to
	var author sql.NullInt64
	var created, modified sql.RawBytes
	dest := []any{nil, nil, nil, &author, nil, nil, nil, nil, &created, &modified}
	var createdAt, modifiedAt time.Time
	if s.db.Kind == store.Postgres {
		dest[8], dest[9] = &createdAt, &modifiedAt
	}
	for rows.Next() {
		b = append(b, Node{RootID: dir.RootID, ParentID: &parent, ContainerID: dir.ContainerID})
		n := &b[len(b)-1]
		dest[0], dest[1], dest[2], dest[4], dest[5], dest[6], dest[7] = &n.ID, &n.Name, &n.IsDir, &n.BlobHash, &n.Size, &n.ContentType, &n.ETag
		if err := rows.Scan(dest...); err != nil {
			return store.Translate(err)
		}
		if author.Valid {
			authors[len(b)-1] = author.Int64
			n.AuthorID = &authors[len(b)-1]
		}
		if s.db.Kind == store.Postgres {
			n.CreatedAt, n.ModifiedAt = createdAt.UTC(), modifiedAt.UTC()
		} else {
			if n.CreatedAt, err = parseStamp(created); err == nil {
				n.ModifiedAt, err = parseStamp(modified)
			}
			if err != nil {
				return fmt.Errorf("file %d: %w", n.ID, err)
			}
		}
		if len(b) == listBatch {
			if !batch(b) {
				return ctx.Err()
			}
			b, authors = make([]Node, 0, listBatch), make([]int64, listBatch)
		}
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	if len(b) > 0 && !batch(b) {
		return ctx.Err()
	}
	return nil
}

// parseStamp reads a time SQLite holds as text: as bun writes it
// ("2006-01-02 15:04:05.999999+00:00") by hand, other forms through
// time.Parse.
func parseStamp(b []byte) (time.Time, error) {
	num := func(s []byte) (int, bool) {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(b) >= 19 && b[4] == '-' && b[7] == '-' && (b[10] == ' ' || b[10] == 'T') && b[13] == ':' && b[16] == ':' {
		y, ok1 := num(b[0:4])
		mo, ok2 := num(b[5:7])
		d, ok3 := num(b[8:10])
		h, ok4 := num(b[11:13])
		mi, ok5 := num(b[14:16])
		sec, ok6 := num(b[17:19])
		rest := b[19:]
		ns := 0
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
				if i <= 9 {
					ns = ns*10 + int(rest[i]-'0')
				}
			}
			for k := i; k <= 9; k++ {
				ns *= 10
			}
			rest = rest[i:]
		}
		utc := len(rest) == 0 || string(rest) == "Z" || string(rest) == "+00:00"
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && utc {
			return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), nil
		}
	}
	s := string(b)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: unreadable time %q", core.ErrInvalid, s)
}
