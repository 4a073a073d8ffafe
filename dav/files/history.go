package files

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"plaza/core"
	"plaza/core/acl"
	"plaza/core/files"
)

// serveVersions answers /dav/versions/FILEID/ (PROPFIND lists the
// versions), /dav/versions/FILEID/VID (GET, DELETE, and COPY or MOVE to
// /dav/versions/FILEID/restore to make it current).
func (h *handler) serveVersions(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	n, vs, err := h.files.Versions(ctx, who, t.fileID)
	if err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	var v *files.Version
	if t.itemID != 0 {
		for i := range vs {
			if vs[i].ID == t.itemID {
				v = &vs[i]
			}
		}
		if v == nil {
			http.Error(w, "no such version", http.StatusNotFound)
			return
		}
	}
	if t.restore {
		http.Error(w, "restore is a destination: COPY or MOVE a version to it", http.StatusMethodNotAllowed)
		return
	}
	switch r.Method {
	case "PROPFIND":
		depth, ok := h.propfindDepth(w, r)
		if !ok {
			return
		}
		q, err := parsePropfind(r, w)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		read := acl.Read
		vres := func(v *files.Version) res {
			return res{href: t.base + "/" + strconv.FormatInt(v.ID, 10), node: n, version: v, lockP: "-",
				display: v.ModifiedAt.UTC().Format(time.RFC3339), level: read}
		}
		var rs []res
		if v != nil {
			rs = append(rs, vres(v))
		} else {
			rs = append(rs, res{href: t.base + "/", dir: true, display: n.Name, lockP: "-", level: read, home: true})
			if depth == depth1 {
				for i := range vs {
					rs = append(rs, vres(&vs[i]))
				}
			}
		}
		h.writeMultistatus(w, &pctx{h: h, r: r, ctx: ctx, who: who, t: t}, q, rs)
	case http.MethodGet, http.MethodHead:
		if v == nil {
			http.Error(w, "GET a version, not the list", http.StatusMethodNotAllowed)
			return
		}
		f, err := h.files.OpenVersion(v)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		defer f.Close()
		w.Header().Set("ETag", v.ETag)
		w.Header().Set("Content-Type", contentType(&files.Node{Name: n.Name, ContentType: v.ContentType}))
		http.ServeContent(w, r, "", v.ModifiedAt, f)
	case http.MethodDelete:
		if v == nil {
			http.Error(w, "DELETE one version", http.StatusMethodNotAllowed)
			return
		}
		if err := h.files.DeleteVersion(ctx, who, n.ID, v.ID); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "COPY", "MOVE":
		dp, err := destination(r)
		if errors.Is(err, errOtherServer) {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		if err != nil || v == nil {
			http.Error(w, "COPY or MOVE a version to "+t.base+"/restore", http.StatusBadRequest)
			return
		}
		dt, err := h.resolve(ctx, who, dp)
		if err != nil || dt.kind != kVersions || !dt.restore || dt.fileID != t.fileID {
			http.Error(w, "the destination must be "+t.base+"/restore", http.StatusBadGateway)
			return
		}
		nn, err := h.files.RestoreVersion(submitted(ctx, r), who, n.ID, v.ID)
		if err != nil {
			h.fail(w, r, r.URL.Path, lockedAt("", err))
			return
		}
		w.Header().Set("ETag", nn.ETag)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodOptions:
	default:
		http.Error(w, "method not allowed on versions", http.StatusMethodNotAllowed)
	}
}

// serveTrash answers /dav/trash/{files/LOGIN|spaces/SLUG}/: PROPFIND lists
// deleted items (named by id, with nc:trashbin-* properties), GET reads a
// deleted file, MOVE to .../restore puts an item back where it was (or
// MOVE to a path of the tree puts it there), DELETE purges an item or,
// on the trash itself, empties it.
func (h *handler) serveTrash(w http.ResponseWriter, r *http.Request, who core.Subject, t *target) {
	ctx := r.Context()
	if t.restore {
		http.Error(w, "restore is a destination: MOVE a trash item to it", http.StatusMethodNotAllowed)
		return
	}
	var item *files.Node
	if t.itemID != 0 {
		var err error
		if item, err = h.files.TrashedNode(ctx, who, t.root, t.itemID); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
	} else if _, err := h.files.Lookup(ctx, who, t.root, nil); err != nil {
		h.fail(w, r, r.URL.Path, err)
		return
	}
	itemRes := func(n *files.Node) res {
		href := t.base + "/" + strconv.FormatInt(n.ID, 10)
		if n.IsDir {
			href += "/"
		}
		return res{href: href, node: n, dir: n.IsDir, display: n.Name, lockP: "-", level: n.Level}
	}
	switch r.Method {
	case "PROPFIND":
		depth, ok := h.propfindDepth(w, r)
		if !ok {
			return
		}
		q, err := parsePropfind(r, w)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		var rs []res
		if item != nil {
			rs = append(rs, itemRes(item))
		} else {
			rs = append(rs, res{href: t.base + "/", dir: true, display: "trash", lockP: "-", level: acl.Read, home: true})
			if depth == depth1 {
				ns, err := h.files.Trash(ctx, who, t.root)
				if err != nil {
					h.fail(w, r, r.URL.Path, err)
					return
				}
				for i := range ns {
					rs = append(rs, itemRes(&ns[i]))
				}
			}
		}
		h.writeMultistatus(w, &pctx{h: h, r: r, ctx: ctx, who: who, t: t}, q, rs)
	case http.MethodGet, http.MethodHead:
		if item == nil || item.IsDir {
			http.Error(w, "GET a deleted file", http.StatusMethodNotAllowed)
			return
		}
		f, err := h.files.Open(item)
		if err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		defer f.Close()
		w.Header().Set("ETag", item.ETag)
		w.Header().Set("Content-Type", contentType(item))
		http.ServeContent(w, r, "", item.ModifiedAt, f)
	case http.MethodDelete:
		if item == nil {
			if _, err := h.files.EmptyTrash(ctx, who, t.root); err != nil {
				h.fail(w, r, r.URL.Path, err)
				return
			}
		} else if err := h.files.Purge(ctx, who, t.root, item.ID); err != nil {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "MOVE":
		dp, err := destination(r)
		if errors.Is(err, errOtherServer) {
			h.fail(w, r, r.URL.Path, err)
			return
		}
		if err != nil || item == nil {
			http.Error(w, "MOVE a trash item to "+t.base+"/restore", http.StatusBadRequest)
			return
		}
		dt, err := h.resolve(ctx, who, dp)
		var dst files.Path
		base := ""
		switch {
		case err == nil && dt.kind == kTrash && dt.restore && dt.root.ContainerID == t.root.ContainerID:
			dst = nil
		case err == nil && dt.kind == kTree && dt.root.ContainerID == t.root.ContainerID && len(dt.path) > 0:
			dst, base = dt.path, dt.base
		default:
			http.Error(w, "the destination must be "+t.base+"/restore or a path of the same tree", http.StatusBadGateway)
			return
		}
		_, err = h.files.Restore(submitted(ctx, r), who, t.root, item.ID, dst)
		switch {
		case errors.Is(err, files.ErrExists):
			http.Error(w, "the name is taken again", http.StatusPreconditionFailed)
		case errors.Is(err, files.ErrNoParent):
			http.Error(w, "the folder it was in is gone", http.StatusConflict)
		case err != nil:
			h.fail(w, r, dp, lockedAt(base, err))
		default:
			w.WriteHeader(http.StatusCreated)
		}
	default:
		http.Error(w, "method not allowed on the trash", http.StatusMethodNotAllowed)
	}
}
