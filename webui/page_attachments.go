package webui

import (
	"fmt"
	"net/http"

	"plaza/core"
)

// taskAttach stores a file sent with a multipart form (field "file").
func (s *server) taskAttach(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	t, ok := s.taskFromPath(w, r, v)
	if !ok {
		return
	}
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			s.pageError(w, r, invalid("send the file as multipart/form-data"))
			return
		}
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.pageError(w, r, invalid("choose a file"))
		return
	}
	defer f.Close()
	if _, err := s.Tasks.Attach(r.Context(), s.Blobs, core.SubjectFrom(r.Context()), t.ID, hdr.Filename,
		hdr.Header.Get("Content-Type"), f); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/task/%d", v.Space.Slug, t.ID), http.StatusSeeOther)
}

// attachmentGet downloads a file of a task, with Range support. Files are
// always sent as downloads so uploaded HTML never runs on this origin.
func (s *server) attachmentGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireUser(w, r); !ok {
		return
	}
	id, err := pathID(r, "file")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a, err := s.Tasks.Attachment(r.Context(), core.SubjectFrom(r.Context()), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, err := s.Blobs.Open(a.BlobHash)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	defer f.Close()
	sendFile(w, a.Name, a.ContentType, `"`+a.BlobHash+`"`, "attachment")
	http.ServeContent(w, r, "", a.CreatedAt, f)
}

func (s *server) attachmentDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.tasksView(w, r, "tasks.title")
	if !ok {
		return
	}
	id, err := pathID(r, "file")
	var listID int64
	who := core.SubjectFrom(r.Context())
	if err == nil {
		listID, err = s.attachmentList(r, who, id)
	}
	if err == nil {
		err = s.Tasks.Detach(r.Context(), s.Blobs, who, id)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/s/%s/tasks/%d", v.Space.Slug, listID), http.StatusSeeOther)
}

// attachmentList returns the list of the task a file is attached to.
func (s *server) attachmentList(r *http.Request, who core.Subject, id int64) (int64, error) {
	a, err := s.Tasks.Attachment(r.Context(), who, id)
	if err != nil {
		return 0, err
	}
	t, err := s.Tasks.Get(r.Context(), who, a.TaskID)
	if err != nil {
		return 0, err
	}
	return t.ContainerID, nil
}
