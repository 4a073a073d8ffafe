package files

import (
	"context"
	"sync"
)

// Listings of large folders are kept in memory, keyed by the folder's
// ETag: every change to a file a listing shows gives its folder a new
// ETag in the same transaction (touch), and the folder's node, with its
// ETag, is read from the database by every request before its listing.
// So a process never serves a listing another process has changed; the
// cache only saves reading and decoding thousands of unchanged rows.
const (
	cacheMinFiles   = 256    // default: smaller folders are read every time
	cacheMaxEntries = 20_000 // files held across all cached folders
)

type listCache struct {
	min   int // fewest files a cached folder has; 0: no caching
	mu    sync.Mutex
	m     map[int64]cachedList
	total int
}

type cachedList struct {
	etag  string
	files []Node
}

func newListCache(min int) *listCache {
	switch {
	case min == 0:
		min = cacheMinFiles
	case min < 0:
		min = 0
	}
	return &listCache{min: min, m: map[int64]cachedList{}}
}

// cachedFiles returns the files of folder dir (a copy the caller may
// change), from the cache when dir's ETag still matches.
func (s *Service) cachedFiles(ctx context.Context, dir *Node) ([]Node, error) {
	c := s.lists
	if c.min == 0 {
		return s.listFiles(ctx, dir.ID)
	}
	if dir.ETag != "" {
		c.mu.Lock()
		e, ok := c.m[dir.ID]
		c.mu.Unlock()
		if ok && e.etag == dir.ETag {
			return append([]Node(nil), e.files...), nil
		}
	}
	files, err := s.listFiles(ctx, dir.ID)
	if err != nil || dir.ETag == "" || len(files) < c.min || len(files) > cacheMaxEntries {
		return files, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[dir.ID]; ok {
		c.total -= len(old.files)
		delete(c.m, dir.ID)
	}
	for id, e := range c.m {
		if c.total+len(files) <= cacheMaxEntries {
			break
		}
		c.total -= len(e.files)
		delete(c.m, id)
	}
	c.m[dir.ID] = cachedList{etag: dir.ETag, files: append([]Node(nil), files...)}
	c.total += len(files)
	return files, nil
}
