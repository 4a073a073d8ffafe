// Package webui serves Plaza's web interface and the JSON API under
// /api/v1/ that its pages use (described in openapi.yaml).
//
// Authentication: HTTP Basic (password or app password) for API clients,
// or the session cookie set by POST /api/v1/session. Unsafe requests made
// with the cookie must carry the session's CSRF token in X-CSRF-Token, and
// every unsafe request must pass net/http's cross-origin protection.
package webui

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/chat"
	"plaza/core/files"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/settings"
	"plaza/core/space"
	"plaza/core/task"
)

// Options are what the web UI needs.
type Options struct {
	Accounts *account.Service
	Spaces   *space.Service
	Tasks    *task.Service
	Polls    *poll.Service
	Blobs    *blob.Store
	Chat     *chat.Service // nil: no chat pages
	Files    *files.Service
	Forum    *forum.Service
	News     *news.Service
	ACL      *acl.Engine
	Settings *settings.Store
	Logger   *slog.Logger
	BaseURL  string
	Jitsi    JitsiOptions
	// Federation follows remote groups and accounts (nil: no follow forms).
	Federation Federation

	// Administration, invitations, newsletters (admin.go).
	AdminOptions
	// Search, activity, wiki and links (page_search.go).
	ContentOptions
	// Agenda and contacts (page_agenda.go, page_contacts.go).
	AgendaOptions
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "plaza_session"

// maxJSONBody bounds the size of a JSON request body; maxFormBody a form's.
const (
	maxJSONBody = 1 << 20
	maxFormBody = 1 << 20
	// maxUploadBody bounds a form that carries a file.
	maxUploadBody = task.MaxAttachment + 1<<20
)

type server struct {
	Options
	secure  bool // cookies only over HTTPS
	catalog catalog
	details []detailPattern // the catalogue's formats with verbs
	pages   map[string]*template.Template
	jitsi   *jitsi
	// setupToken opens the first-run page from another machine.
	setupToken string
}

// New returns the web UI and API handler. It fails when an embedded
// template or catalogue is broken, so that shows at start-up.
func New(o Options) (http.Handler, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &server{Options: o, secure: strings.HasPrefix(o.BaseURL, "https://"), catalog: cat, details: compileDetails(cat), pages: pages,
		jitsi: newJitsi(o.Jitsi, o.Settings)}
	s.announceSetup()
	mux := http.NewServeMux()
	// JSON API.
	mux.HandleFunc("POST /api/v1/session", s.login)
	mux.HandleFunc("DELETE /api/v1/session", s.logout)
	mux.HandleFunc("GET /api/v1/me", s.me)
	mux.HandleFunc("GET /api/v1/spaces", s.listSpaces)
	mux.HandleFunc("GET /api/v1/tasklists/{list}/tasks", s.apiTasks)
	mux.HandleFunc("PUT /api/v1/tasklists/{list}/order", s.apiReorder)
	s.adminRoutes(mux)
	s.contentRoutes(mux)
	s.writingRoutes(mux)
	s.agendaRoutes(mux)
	s.accountRoutes(mux)
	s.shareRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, core.ErrNotFound)
	})
	// Pages.
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /favicon.ico", favicon)
	mux.HandleFunc("GET /setup", s.setupPage)
	mux.HandleFunc("POST /setup", s.setupSubmit)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("POST /logout", s.logoutSubmit)
	mux.HandleFunc("GET /spaces", s.spacesPage)
	mux.HandleFunc("POST /dashboard", s.dashboardSave)
	mux.HandleFunc("GET /s/{slug}", s.spacePage)
	mux.HandleFunc("GET /s/{slug}/tasks", s.taskListsPage)
	mux.HandleFunc("POST /s/{slug}/tasks", s.taskListCreate)
	mux.HandleFunc("GET /s/{slug}/tasks/{list}", s.taskListPage)
	mux.HandleFunc("POST /s/{slug}/tasks/{list}", s.taskCreate)
	mux.HandleFunc("POST /s/{slug}/tasks/{list}/import", s.taskImport)
	mux.HandleFunc("GET /s/{slug}/tasks/{list}/gantt", s.ganttPage)
	mux.HandleFunc("GET /s/{slug}/task/{task}", s.taskPage)
	mux.HandleFunc("POST /s/{slug}/task/{task}", s.taskUpdate)
	mux.HandleFunc("POST /s/{slug}/task/{task}/delete", s.taskDelete)
	mux.HandleFunc("POST /s/{slug}/task/{task}/comment", s.taskComment)
	s.taskManageRoutes(mux)
	mux.HandleFunc("POST /s/{slug}/task/{task}/attach", s.taskAttach)
	mux.HandleFunc("GET /s/{slug}/attachment/{file}", s.attachmentGet)
	mux.HandleFunc("POST /s/{slug}/attachment/{file}/delete", s.attachmentDelete)
	mux.HandleFunc("GET /s/{slug}/polls", s.pollsPage)
	mux.HandleFunc("POST /s/{slug}/polls", s.pollCreate)
	mux.HandleFunc("GET /s/{slug}/polls/{poll}", s.pollPage)
	mux.HandleFunc("POST /s/{slug}/polls/{poll}/vote", s.pollVote)
	mux.HandleFunc("POST /s/{slug}/polls/{poll}/close", s.pollClose)
	s.filesRoutes(mux)
	if o.Chat != nil {
		mux.HandleFunc("GET /s/{slug}/chat", s.chatPage)
		mux.HandleFunc("POST /s/{slug}/chat", s.chatStart)
		mux.HandleFunc("GET /s/{slug}/chat/ws", s.chatSocket)
		mux.HandleFunc("GET /s/{slug}/chat/file/{file}", s.chatFile)
		mux.HandleFunc("GET /s/{slug}/chat/{conv}", s.chatConversationPage)
		mux.HandleFunc("POST /s/{slug}/chat/{conv}", s.chatPost)
		mux.HandleFunc("POST /s/{slug}/chat/{conv}/attach", s.chatAttach)
		mux.HandleFunc("POST /s/{slug}/chat/{conv}/message/{msg}/{action}", s.chatMessageChange)
	}
	mux.HandleFunc("GET /s/{slug}/forum", s.forumPage)
	mux.HandleFunc("POST /s/{slug}/forum", s.forumCategoryCreate)
	mux.HandleFunc("GET /s/{slug}/forum/{cat}", s.forumCategoryPage)
	mux.HandleFunc("POST /s/{slug}/forum/{cat}", s.forumTopicCreate)
	mux.HandleFunc("GET /s/{slug}/forum/topic/{topic}", s.forumTopicPage)
	mux.HandleFunc("POST /s/{slug}/forum/topic/{topic}", s.forumReply)
	mux.HandleFunc("GET /s/{slug}/news", s.newsPage)
	mux.HandleFunc("POST /s/{slug}/news", s.newsCreate)
	mux.HandleFunc("GET /s/{slug}/news/{article}", s.newsArticlePage)
	s.federationRoutes(mux)
	mux.HandleFunc("GET /s/{slug}/video", s.videoPage)
	mux.HandleFunc("GET /profile", s.profilePage)
	mux.HandleFunc("POST /profile", s.profileSubmit)
	cop := http.NewCrossOriginProtection()
	return cop.Handler(s.authenticate(mux)), nil
}

type sessionKey struct{}

// authenticate turns Basic credentials or the session cookie into the
// subject of the request; no credentials make an anonymous request. Wrong
// Basic credentials are refused at once with 401. An unsafe request made
// with the cookie must carry the session's CSRF token, in the
// X-CSRF-Token header (scripts) or the _csrf form field (forms).
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if login, pw, ok := r.BasicAuth(); ok {
			who, err := s.Accounts.Authenticate(ctx, login, pw)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(core.WithSubject(ctx, who)))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil {
			sess, err := s.Accounts.LookupSession(ctx, c.Value)
			if err == nil {
				sess.Token = c.Value
				if unsafe(r.Method) && !s.csrfOK(w, r, sess.CSRFToken) {
					s.fail(w, r, errCSRF)
					return
				}
				ctx = context.WithValue(core.WithSubject(ctx, sess.Subject), sessionKey{}, sess)
				next.ServeHTTP(w, s.withPasses(r.WithContext(ctx)))
				return
			}
			if !errors.Is(err, core.ErrUnauthenticated) {
				s.fail(w, r, err)
				return
			}
			// A stale cookie: carry on as a visitor.
		}
		next.ServeHTTP(w, s.withPasses(r))
	})
}

func (s *server) csrfOK(w http.ResponseWriter, r *http.Request, want string) bool {
	if h := r.Header.Get("X-CSRF-Token"); h != "" {
		return subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// Files go to temporary files past 8 MiB; the whole body is bounded.
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return false
		}
		return subtle.ConstantTimeCompare([]byte(r.FormValue("_csrf")), []byte(want)) == 1
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			return false
		}
		return subtle.ConstantTimeCompare([]byte(r.PostForm.Get("_csrf")), []byte(want)) == 1
	}
	return false
}

var errCSRF = errors.New("missing or wrong X-CSRF-Token")

func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// requireAccount returns the subject, or answers 401 and returns false.
func (s *server) requireAccount(w http.ResponseWriter, r *http.Request) (core.Subject, bool) {
	who := core.SubjectFrom(r.Context())
	if who.IsAnonymous() {
		s.fail(w, r, core.ErrUnauthenticated)
		return who, false
	}
	return who, true
}

// fail answers err as JSON: the one place API errors map to HTTP.
//
// The body is {"error": "…", "message": "…"}: error is the stable English
// text scripts may match on, message the same reason for a person, in
// the account's or the browser's language through the catalogue.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg, key := "internal error", "error.internal"
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errCSRF):
		status, msg, key = http.StatusForbidden, err.Error(), "error.forbidden"
	case errors.Is(err, core.ErrUnauthenticated):
		status, msg, key = http.StatusUnauthorized, "authentication required", "error.unauthenticated"
		w.Header().Set("WWW-Authenticate", `Basic realm="Plaza", charset="UTF-8"`)
	case errors.Is(err, account.ErrThrottled):
		status, msg, key = http.StatusTooManyRequests, "too many attempts, try again later", "error.throttled"
	case errors.Is(err, core.ErrNotFound):
		status, msg, key = http.StatusNotFound, "not found", "error.not_found"
	case errors.Is(err, core.ErrForbidden):
		status, msg, key = http.StatusForbidden, err.Error(), "error.forbidden"
	case errors.Is(err, files.ErrLocked):
		status, msg, key = http.StatusLocked, err.Error(), "error.conflict"
	case errors.Is(err, files.ErrQuota):
		status, msg, key = http.StatusInsufficientStorage, err.Error(), "error.storage_full"
	case errors.Is(err, core.ErrConflict):
		status, msg, key = http.StatusConflict, err.Error(), "error.conflict"
	case errors.Is(err, core.ErrInvalid):
		status, msg, key = http.StatusBadRequest, err.Error(), "error.invalid"
	case errors.As(err, &mbe):
		status, msg, key = http.StatusRequestEntityTooLarge, "request body too large", "error.too_large"
	case errors.Is(err, core.ErrInsufficientStorage):
		status, msg, key = http.StatusInsufficientStorage, "insufficient storage on the server", "error.storage_full"
		s.Logger.Warn("api request failed: storage full", "method", r.Method, "path", r.URL.Path, "err", err)
	default:
		s.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": msg, "message": s.failMessage(r, err, status, key)})
}

// failMessage is the reason of a failed API request for a person, in
// the account's or the browser's language: the core's reason when the
// catalogue has it, else what kind of error it was.
func (s *server) failMessage(r *http.Request, err error, status int, key string) string {
	lang := ""
	if who := core.SubjectFrom(r.Context()); !who.IsAnonymous() {
		if a, err := s.Accounts.Get(r.Context(), who.AccountID); err == nil {
			lang = a.Language
		}
	}
	lang = pickLang(lang, r.Header.Get("Accept-Language"))
	if status == http.StatusBadRequest || status == http.StatusForbidden || status == http.StatusConflict || status == http.StatusLocked {
		if d := s.errorText(lang, err); d != "" && !errors.Is(err, errCSRF) {
			return d
		}
	}
	return s.catalog.translate(lang, key)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// readJSON decodes a bounded JSON body into v, refusing unknown fields
// and trailing data.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return invalid("Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return invalid("malformed JSON: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("trailing data after the JSON value")
	}
	return nil
}

func invalid(reason string) error { return &invalidError{reason} }

type invalidError struct{ reason string }

func (e *invalidError) Error() string        { return e.reason }
func (e *invalidError) Is(target error) bool { return target == core.ErrInvalid }
