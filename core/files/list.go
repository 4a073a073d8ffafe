package files

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
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
// Listed files carry no BlobHash: look one up to open it.
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
// batches, by name, without BlobHash (no listing needs it, and reading
// it costs a tenth of a large listing). Files inherit their folder's
// grants, so the folder's level is computed once for all of them (plus
// the author rule); subfolders, which carry their own grants, are looked
// up with the ACL expression. A large folder streams: other goroutines
// read the next batches while f handles one. f runs on the calling
// goroutine and must neither keep nor change the nodes it is given (copy
// them); an error from f stops the listing and is returned.
func (s *Service) ListChildren(ctx context.Context, who core.Subject, dir *Node, f func([]Node) error) error {
	var cl acl.Level
	var authorRule bool
	expr, args := acl.LevelSQL(who, "c", "")
	aexpr, aargs := acl.AuthorSQL(who, "c")
	if err := s.db.NewRaw("SELECT "+expr+", "+aexpr+" FROM containers c WHERE c.id = ?", append(append(args, aargs...), dir.ContainerID)...).
		Scan(ctx, &cl, &authorRule); err != nil {
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
		n.Level = acl.ItemLevel(cl, authorRule && n.AuthorID != nil && *n.AuthorID == who.AccountID)
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
	cached [][]Node // shared with the cache: read only
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
	if batches, ok := s.lists.get(dir); ok {
		return &childSource{cached: batches, level: level}
	}
	ctx, cancel := context.WithCancel(ctx)
	src := &childSource{ch: make(chan childBatch, 2), cancel: cancel}
	go s.readChildren(ctx, dir, level, src.ch)
	return src
}

// next returns the next batch of children; nil at the end.
func (src *childSource) next() ([]Node, error) {
	if src.ch == nil {
		if len(src.cached) == 0 {
			return nil, nil
		}
		src.buf = append(src.buf[:0], src.cached[0]...)
		src.cached = src.cached[1:]
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
		err = s.scanChildren(ctx, dir, -1, nil, emit)
	} else {
		err = s.scanHalves(ctx, dir, emit)
	}
	if err != nil {
		send(childBatch{err: err})
		return
	}
	if ctx.Err() == nil && s.lists.wants(dir, count) {
		s.lists.put(dir, all, count)
	}
}

// scanHalves reads the children of dir as two halves (alternate blocks
// of 256 ids) on two connections at once, and merges them by name: with
// SQLite, decoding rows is what the listing of a large folder waits for,
// and one goroutine does it at a time per query. Each half is one query,
// and ids do not change, so a node renamed meanwhile shows once, at one
// of its names. The halves' batches go back to their reader once merged.
func (s *Service) scanHalves(ctx context.Context, dir *Node, emit func([]Node) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	type half struct {
		batches chan childBatch
		free    chan []Node
	}
	var halves [2]half
	for i := range halves {
		h := half{batches: make(chan childBatch, 2), free: make(chan []Node, 3)}
		halves[i] = h
		go func() {
			defer close(h.batches)
			next := func() []Node {
				select {
				case b := <-h.free:
					return b[:0]
				default:
					return make([]Node, 0, listBatch)
				}
			}
			err := s.scanChildren(ctx, dir, i, next, func(b []Node) bool {
				select {
				case h.batches <- childBatch{nodes: b}:
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil {
				select {
				case h.batches <- childBatch{err: err}:
				case <-ctx.Done():
				}
			}
		}()
	}
	defer func() {
		cancel()
		for _, h := range halves {
			for range h.batches {
			}
		}
	}()
	var cur, whole [2][]Node
	var done [2]bool
	fill := func(i int) error {
		for len(cur[i]) == 0 && !done[i] {
			if whole[i] != nil {
				select {
				case halves[i].free <- whole[i]:
				default:
				}
				whole[i] = nil
			}
			b, ok := <-halves[i].batches
			switch {
			case !ok:
				done[i] = true
			case b.err != nil:
				return b.err
			default:
				cur[i], whole[i] = b.nodes, b.nodes
			}
		}
		return nil
	}
	// Merged nodes are copies: their authors too, as the halves' buffers
	// (which their AuthorID point into) are used again.
	out, authors := make([]Node, 0, listBatch), make([]int64, listBatch)
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
		if n := &out[len(out)-1]; n.AuthorID != nil {
			authors[len(out)-1] = *n.AuthorID
			n.AuthorID = &authors[len(out)-1]
		}
		if len(out) == listBatch {
			if !emit(out) {
				return ctx.Err()
			}
			out, authors = make([]Node, 0, listBatch), make([]int64, listBatch)
		}
	}
}

// scanChildren reads the live children of dir by name (those with an id
// of that parity, unless parity is -1) and calls batch with them, in
// slices from alloc (nil: fresh ones), until it returns false. It reads
// the columns a listing shows of a file (the folder's root and container
// are its files' too); a subfolder is read again, whole, when listed.
func (s *Service) scanChildren(ctx context.Context, dir *Node, parity int, alloc func() []Node, batch func([]Node) bool) error {
	if alloc == nil {
		alloc = func() []Node { return make([]Node, 0, listBatch) }
	}
	query, args := listQuery(s.db.Kind, dir.ID, parity)
	parent := dir.ID
	b := alloc()
	authors := make([]int64, listBatch) // what AuthorID points to
	err := s.eachRow(ctx, query, args, 9, func(v []driver.Value) error {
		b = append(b, Node{RootID: dir.RootID, ParentID: &parent, ContainerID: dir.ContainerID})
		n := &b[len(b)-1]
		var err error
		n.ID, n.Name, n.IsDir = valueInt(v[0]), valueString(v[1]), valueInt(v[2]) != 0
		if v[3] != nil {
			authors[len(b)-1] = valueInt(v[3])
			n.AuthorID = &authors[len(b)-1]
		}
		n.Size, n.ContentType, n.ETag = valueInt(v[4]), valueString(v[5]), valueString(v[6])
		if n.CreatedAt, err = valueTime(v[7]); err == nil {
			c, _ := v[7].(string)
			if m, _ := v[8].(string); c != "" && c == m {
				n.ModifiedAt = n.CreatedAt // a file never changed since
			} else {
				n.ModifiedAt, err = valueTime(v[8])
			}
		}
		if err != nil {
			return fmt.Errorf("file %d: %w", n.ID, err)
		}
		if len(b) == listBatch {
			if !batch(b) {
				return errStopped
			}
			b, authors = alloc(), make([]int64, listBatch)
		}
		return nil
	})
	if err == errStopped {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	if len(b) > 0 && !batch(b) {
		return ctx.Err()
	}
	return nil
}

var errStopped = errors.New("listing stopped")

// listQuery is the query of scanChildren: every column it reads is in
// one index (file_nodes_list on SQLite, file_nodes_name on PostgreSQL),
// in the order of names, so the database reads no table row.
func listQuery(kind store.Dialect, parent int64, parity int) (string, []any) {
	stamps := `CAST(created_at AS TEXT), CAST(modified_at AS TEXT)` // parsed here: faster than in SQLite
	if kind == store.Postgres {
		stamps = `created_at, modified_at`
	}
	where, args := "", []any{parent}
	if parity >= 0 {
		// Halves by blocks of 256 ids, so that ids close together (files
		// added together, often with names close together) are split.
		where, args = " AND (id >> 8) % 2 = ?", append(args, int64(parity))
	}
	return `SELECT id, name, is_dir, author_id, size, content_type, etag, ` + stamps +
		` FROM file_nodes WHERE parent_id = ? AND trashed_at IS NULL` + where + ` ORDER BY name`, args
}

// eachRow runs query and calls f with every row, as the driver gives it
// (f must not keep the slice). It reads the driver's rows directly: for a
// listing's narrow columns, database/sql's locking and conversions of
// every value (by reflection) cost about as much as the database decoding
// it. With PostgreSQL, bun writes the arguments into the query, as it
// does for every other query here.
func (s *Service) eachRow(ctx context.Context, query string, args []any, cols int, f func([]driver.Value) error) error {
	var named []driver.NamedValue
	if s.db.Kind == store.SQLite {
		named = make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
	} else {
		query = s.db.QueryGen().FormatQuery(query, args...)
	}
	conn, err := s.db.DB.DB.Conn(ctx)
	if err != nil {
		return store.Translate(err)
	}
	defer conn.Close()
	vals := make([]driver.Value, cols)
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("database driver %T cannot query", dc)
		}
		rows, err := qc.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		for {
			if err := rows.Next(vals); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if err := f(vals); err != nil {
				return err
			}
		}
	})
	if err == errStopped {
		return err
	}
	return store.Translate(err)
}

// valueInt, valueString and valueTime read what SQLite's and PostgreSQL's
// drivers give for integer, boolean, text and timestamp columns.
func valueInt(v driver.Value) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

func valueString(v driver.Value) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

func valueTime(v driver.Value) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseStamp(v)
	case []byte:
		return parseStamp(string(v))
	}
	return time.Time{}, fmt.Errorf("%w: time of type %T", core.ErrInvalid, v)
}

// parseStamp reads a time SQLite holds as text: as bun writes it
// ("2006-01-02 15:04:05.999999+00:00") by hand, other forms through
// time.Parse.
func parseStamp(s string) (time.Time, error) {
	if t, ok := parseUTCStamp(s); ok {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: unreadable time %q", core.ErrInvalid, s)
}

// parseUTCStamp reads "YYYY-MM-DD HH:MM:SS[.fraction]" in UTC (a 'T' for
// the space, a "Z" or "+00:00" zone allowed).
func parseUTCStamp(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	ok := true
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				ok = false
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if !ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, ns := s[19:], 0
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
	if rest != "" && rest != "Z" && rest != "+00:00" {
		return time.Time{}, false
	}
	// Days since 1970-01-01 of the civil date (proleptic Gregorian).
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((mo+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	return time.Unix(days*86400+int64(h*3600+mi*60+sec), int64(ns)).UTC(), true
}
