// Package federation serves Plaza's forum and news over ActivityPub: a
// Group actor per public forum category (FEP-1b12, as Lemmy and NodeBB),
// a space actor publishing the space's public news as Article, Person
// actors for the people who take part; WebFinger and NodeInfo 2.1 for
// discovery; inboxes verifying HTTP Signatures; a durable delivery queue.
// See README.md for what peers were modelled on.
package federation

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/space"
	"plaza/core/store"
)

// Options configure federation. DB, BaseURL, Accounts, Spaces, Forum and
// News are required: federation reaches core's tables only through them.
type Options struct {
	DB       *store.DB
	Accounts *account.Service
	Spaces   *space.Service
	BaseURL  string // public URL of this server; every id is built from it
	Insecure bool   // allow http:// and loopback/private peers (tests only)
	// Resolve maps host names to addresses for outgoing requests (tests
	// only, with Insecure): a peer named gts.test on 127.0.0.2.
	Resolve map[string]string
	Logger  *slog.Logger
	Forum   *forum.Service
	News    *news.Service
	Polls   *poll.Service // optional: public polls published as Question
	Version string        // software version in NodeInfo
	Now     func() time.Time
	KeyBits int // RSA key size of local actors: 2048 (default, as Mastodon); tests may use 1024

	// Delivery tuning; zero values give the production behaviour.
	Backoff      func(attempt int) time.Duration // wait after the n-th failure
	MaxAttempts  int                             // then dead-letter (default 16)
	MaxAge       time.Duration                   // or after this long (default 7 days)
	PollInterval time.Duration                   // queue polling (default 2 s)
	WorkerID     string                          // names this process's claims: stable across its restarts, distinct per process
	// DeliveryTimeout bounds one POST to a peer, answer included (default
	// 10 s); DeliveryWorkers bounds the POSTs in flight (default 512: a slow peer takes only its own slots) and
	// DeliveriesPerHost those to one host (default 4).
	DeliveryTimeout   time.Duration
	DeliveryWorkers   int
	DeliveriesPerHost int
}

// Server is the federation adapter: an http.Handler, the forum and news
// hooks that publish local changes, and the delivery queue.
type Server struct {
	db       *store.DB
	base     *url.URL
	baseStr  string
	insecure bool
	log      *slog.Logger
	forum    *forum.Service
	news     *news.Service
	polls    *poll.Service
	version  string
	now      func() time.Time
	client   *http.Client
	mux      *http.ServeMux
	keys     keyring
	keyBits  int
	limits   *hostLimiter
	queue    *Queue
	eng      *acl.Engine
	accounts *account.Service
	spaces   *space.Service
}

// New builds the federation server and registers its hooks on the forum
// and news services (so it must be called once per process, while wiring).
func New(o Options) (*Server, error) {
	if o.DB == nil || o.Accounts == nil || o.Spaces == nil || o.Forum == nil || o.News == nil {
		return nil, errors.New("federation: DB, Accounts, Spaces, Forum and News are required")
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.Path != "" {
		return nil, fmt.Errorf("federation: base URL must be http(s)://host[:port] without a path, got %q", o.BaseURL)
	}
	if len(o.Resolve) > 0 && !o.Insecure {
		return nil, errors.New("federation: a resolver setting is for tests only: it needs Insecure")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	s := &Server{db: o.DB, base: base, baseStr: base.String(), insecure: o.Insecure, log: o.Logger,
		forum: o.Forum, news: o.News, polls: o.Polls, version: o.Version, now: o.Now, client: newClient(o.Insecure, o.Resolve),
		keys: keyring{keys: map[string]*rsa.PrivateKey{}, public: map[string]string{}}, keyBits: o.KeyBits, eng: acl.New(o.DB),
		accounts: o.Accounts, spaces: o.Spaces}
	if s.keyBits < 1024 {
		s.keyBits = 2048
	}
	s.limits = newHostLimiter(10, 30)
	s.queue = newQueue(s, o)
	s.routes()
	o.Forum.AddHook(forumHook{s})
	o.News.AddHook(newsHook{s})
	if o.Polls != nil {
		o.Polls.AddHook(pollHook{s})
	}
	return s, nil
}

// Queue returns the delivery queue; start its Run in serve.
func (s *Server) Queue() *Queue { return s.queue }

// ServeHTTP serves the federation paths (see routes).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("federation: panic", "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/webfinger", s.handleWebFinger)
	m.HandleFunc("GET /.well-known/nodeinfo", s.handleNodeInfoLinks)
	m.HandleFunc("GET /nodeinfo/2.1", s.handleNodeInfo)
	m.HandleFunc("GET /nodeinfo/2.0", s.handleNodeInfo)
	m.HandleFunc("GET /ap/actor", s.handleInstanceActor)
	m.HandleFunc("GET /ap/actor/followers", s.handleInstanceCollection)
	m.HandleFunc("GET /ap/actor/outbox", s.handleInstanceCollection)
	m.HandleFunc("GET /ap/activities/{id}", s.handleActivity)
	m.HandleFunc("POST /ap/inbox", s.handleInbox)
	m.HandleFunc("POST /ap/actor/inbox", s.handleInbox)
	for _, kind := range []string{"users", "groups", "spaces"} {
		m.HandleFunc("GET /ap/"+kind+"/{name}", s.handleActor)
		m.HandleFunc("POST /ap/"+kind+"/{name}/inbox", s.handleInbox)
		m.HandleFunc("GET /ap/"+kind+"/{name}/outbox", s.handleOutbox)
		m.HandleFunc("GET /ap/"+kind+"/{name}/followers", s.handleFollowers)
	}
	m.HandleFunc("GET /ap/groups/{name}/moderators", s.handleModerators)
	m.HandleFunc("GET /ap/topics/{id}", s.handleTopic)
	m.HandleFunc("GET /ap/topics/{id}/context", s.handleTopicContext)
	m.HandleFunc("GET /ap/posts/{id}", s.handlePost)
	m.HandleFunc("GET /ap/attachments/{id}", s.handleAttachment)
	m.HandleFunc("GET /ap/articles/{id}", s.handleArticle)
	m.HandleFunc("GET /ap/polls/{id}", s.handlePoll)
	m.HandleFunc("GET /ap/articles/{id}/image", s.handleArticleImage)
	s.mux = m
}

// Paths lists the path prefixes to mount the handler on.
func Paths() []string {
	return []string{"/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/", "/ap/"}
}

// httpError is a refusal with its status and a reason for the peer.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, format string, a ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

// writeError maps an error to a status, in one place: refusals carry
// theirs, core sentinels map to 4xx, anything else is a 500 (logged).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var mb *http.MaxBytesError
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &he):
		status = he.status
	case errors.As(err, &mb):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, core.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, core.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, core.ErrInvalid):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, core.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, core.ErrUnauthenticated):
		status = http.StatusUnauthorized
	case errors.Is(err, errRefusedAddress):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, core.ErrInsufficientStorage):
		status = http.StatusInsufficientStorage
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("federation", "path", r.URL.Path, "err", err)
		msg = "internal error"
	} else {
		s.log.Debug("federation: refused", "path", r.URL.Path, "status", status, "reason", msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

const (
	asPublic    = "https://www.w3.org/ns/activitystreams#Public"
	contentType = "application/activity+json"
	ldType      = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	acceptAP    = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// writeAP answers an ActivityPub document, as application/activity+json
// unless the client asked for the ld+json form.
func (s *Server) writeAP(w http.ResponseWriter, r *http.Request, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ct := contentType
	if a := r.Header.Get("Accept"); strings.Contains(a, "application/ld+json") && !strings.Contains(a, "application/activity+json") {
		ct = ldType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
}

// URLs of local actors and objects.
func (s *Server) userURL(login string) string {
	return s.baseStr + "/ap/users/" + url.PathEscape(login)
}
func (s *Server) groupURL(handle string) string {
	return s.baseStr + "/ap/groups/" + url.PathEscape(handle)
}
func (s *Server) spaceURL(slug string) string {
	return s.baseStr + "/ap/spaces/" + url.PathEscape(slug)
}
func (s *Server) instanceURL() string        { return s.baseStr + "/ap/actor" }
func (s *Server) sharedInbox() string        { return s.baseStr + "/ap/inbox" }
func (s *Server) topicURL(id int64) string   { return fmt.Sprintf("%s/ap/topics/%d", s.baseStr, id) }
func (s *Server) postURL(id int64) string    { return fmt.Sprintf("%s/ap/posts/%d", s.baseStr, id) }
func (s *Server) articleURL(id int64) string { return fmt.Sprintf("%s/ap/articles/%d", s.baseStr, id) }
func (s *Server) activityURL(kind string) string {
	return s.baseStr + "/ap/activities/" + kind + "-" + randomID()
}

// local reports whether an id is on this server's origin.
func (s *Server) local(id string) bool {
	u, err := url.Parse(id)
	return err == nil && sameOrigin(u, s.base)
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func originOf(id string) string {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// localID parses an id of this server of the form BASE/ap/KIND/N.
func (s *Server) localID(id, kind string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, s.baseStr+"/ap/"+kind+"/")
	if !ok {
		return 0, false
	}
	var n int64
	if _, err := fmt.Sscanf(rest, "%d", &n); err != nil || fmt.Sprint(n) != rest || n <= 0 {
		return 0, false
	}
	return n, true
}

// Context keys and helpers shared by the handlers.
type ctxKey int

func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func asHTTP(err error, he **httpError) bool { return errors.As(err, he) }
func errorsIs(err, target error) bool       { return errors.Is(err, target) }

func (s *Server) userAgent() string { return "Plaza/" + s.version + " (+" + s.baseStr + "/)" }
