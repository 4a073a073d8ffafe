package files

import "sync"

// Listings of large folders are kept in memory, keyed by the folder's
// ETag: every change to a file a listing shows gives its folder a new
// ETag in the same transaction (touch), and the folder's node, with its
// ETag, is read from the database by every request before its listing.
// So a process never serves a listing another process has changed; the
// cache only saves reading and decoding thousands of unchanged rows. A
// listing holds the folder's subfolders too, by name and id only: they
// carry their own grants and ETags, so a request reads them again (a
// change inside a subfolder does not renew its parent's ETag).
const (
	cacheMinFiles   = 256    // default: smaller folders are read every time
	cacheMaxEntries = 20_000 // nodes held across all cached folders
)

type listCache struct {
	min   int // fewest files a cached folder has; 0: no caching
	mu    sync.Mutex
	m     map[int64]cachedList
	total int
}

type cachedList struct {
	etag    string
	batches [][]Node // files and subfolders, as read
	count   int
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

// get returns the cached listing of folder dir when its ETag still
// matches. It is shared: callers copy what they change.
func (c *listCache) get(dir *Node) ([][]Node, bool) {
	if c.min == 0 || dir.ETag == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[dir.ID]
	if !ok || e.etag != dir.ETag {
		return nil, false
	}
	return e.batches, true
}

// wants reports whether a listing of n files of dir is worth keeping.
func (c *listCache) wants(dir *Node, n int) bool {
	return c.min > 0 && dir.ETag != "" && n >= c.min && n <= cacheMaxEntries
}

// put keeps the count nodes of batches (which nobody changes afterwards)
// as the listing of dir at its ETag, dropping other listings to stay
// within cacheMaxEntries.
func (c *listCache) put(dir *Node, batches [][]Node, count int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[dir.ID]; ok {
		c.total -= old.count
		delete(c.m, dir.ID)
	}
	for id, e := range c.m {
		if c.total+count <= cacheMaxEntries {
			break
		}
		c.total -= e.count
		delete(c.m, id)
	}
	c.m[dir.ID] = cachedList{etag: dir.ETag, batches: batches, count: count}
	c.total += count
}
