package federation_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/blob"
	"plaza/core/coretest"
	"plaza/core/forum"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/federation"
)

// instance is one Plaza server: its database, services and federation
// handler on a loopback port.
type instance struct {
	t      *testing.T
	db     *store.DB
	base   string
	host   string
	fed    *federation.Server
	forum  *forum.Service
	news   *news.Service
	polls  *poll.Service
	accts  *account.Service
	spaces *space.Service
	srv    *httptest.Server
	stop   context.CancelFunc
}

type instOpts struct {
	listener net.Listener // reuse an address (restart)
	noServe  bool         // do not listen (an instance that is down)
	noQueue  bool         // do not run the delivery queue
	workerID string
	now      func() time.Time // the instance's clock (default time.Now)
	timeout  time.Duration    // DeliveryTimeout
	perHost  int              // DeliveriesPerHost
	resolve  map[string]string
}

func fastBackoff(int) time.Duration { return 100 * time.Millisecond }

func newInstance(t *testing.T, db *store.DB, base string, o instOpts) *instance {
	t.Helper()
	var ln net.Listener
	var err error
	switch {
	case o.listener != nil:
		ln = o.listener
	case base == "":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	blobs, err := blob.New(blob.Options{Dir: t.TempDir(), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, db: db, base: base, host: strings.TrimPrefix(base, "http://"),
		forum: forum.New(db, forum.Options{Blobs: blobs}), news: news.New(db, news.Options{Blobs: blobs}),
		polls: poll.New(db, nil), accts: account.New(db, nil), spaces: space.New(db, nil)}
	in.fed, err = federation.New(federation.Options{DB: db, Accounts: in.accts, Spaces: in.spaces, BaseURL: base, Insecure: true, Logger: coretest.Logger(t),
		Forum: in.forum, News: in.news, Polls: in.polls, KeyBits: 1024, Backoff: fastBackoff, PollInterval: 50 * time.Millisecond, WorkerID: o.workerID, Now: o.now,
		DeliveryTimeout: o.timeout, DeliveriesPerHost: o.perHost, Resolve: o.resolve})
	if err != nil {
		t.Fatal(err)
	}
	if ln != nil && !o.noServe {
		in.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: in.fed}}
		in.srv.Start()
		t.Cleanup(in.srv.Close)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.stop = cancel
	if !o.noQueue {
		done := make(chan struct{})
		go func() { in.fed.Queue().Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	} else {
		t.Cleanup(cancel)
	}
	return in
}

func (in *instance) user(login string) core.Subject {
	in.t.Helper()
	a, err := in.accts.Create(context.Background(), account.NewAccount{Login: login, Name: strings.ToUpper(login[:1]) + login[1:],
		Type: core.User, Password: "password-" + login})
	if err != nil {
		in.t.Fatal(err)
	}
	return a.Subject()
}

func (in *instance) space(slug string, public bool, admin core.Subject) *space.Space {
	in.t.Helper()
	ctx := context.Background()
	sp, err := in.spaces.Create(ctx, space.NewSpace{Slug: slug, Public: public})
	if err != nil {
		in.t.Fatal(err)
	}
	if err := in.spaces.SetMember(ctx, sp.ID, admin.AccountID, space.RoleAdmin); err != nil {
		in.t.Fatal(err)
	}
	return sp
}

// publicCategory makes a category anonymous visitors read and members
// write in: a federated Group.
func (in *instance) publicCategory(who core.Subject, sp *space.Space, handle string) *forum.Category {
	in.t.Helper()
	c, err := in.forum.CreateCategory(context.Background(), who, forum.NewCategory{SpaceID: sp.ID, Slug: handle, Name: "General talk",
		Handle: handle, Description: "<p>All things</p>", Grants: []acl.Grant{
			{PrincipalKind: acl.PrincipalAnonymous, Level: acl.Read},
			{PrincipalKind: acl.PrincipalSpace, PrincipalID: sp.ID, Level: acl.Limited}}})
	if err != nil {
		in.t.Fatal(err)
	}
	return c
}

// eventually polls cond until it holds (deliveries are asynchronous).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	t.Fatalf("timed out waiting: %s", what)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
