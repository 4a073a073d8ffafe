package webui

import (
	"net/http"
	"strconv"
)

// pager is one page of a long list, read from ?page=N (from 1), with the
// addresses of the pages around it (the request's other parameters kept).
type pager struct {
	Page, Pages, Size, Total int
	Prev, Next               string
}

// paginate reads ?page= for a list of total items, size a page; a page
// past the end shows the last one.
func paginate(r *http.Request, total, size int) *pager {
	p := &pager{Page: 1, Size: size, Total: total, Pages: (total + size - 1) / size}
	if p.Pages == 0 {
		p.Pages = 1
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		p.Page = min(n, p.Pages)
	}
	at := func(n int) string {
		q := r.URL.Query()
		if n == 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = at(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = at(p.Page + 1)
	}
	return p
}

// Bounds are the indexes of the page's items in the whole list.
func (p *pager) Bounds() (lo, hi int) {
	lo = (p.Page - 1) * p.Size
	return min(lo, p.Total), min(lo+p.Size, p.Total)
}
