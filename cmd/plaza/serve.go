package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"plaza/core/account"
	"plaza/federation"
	"plaza/webui"
)

// shutdownGrace is how long requests in flight may take to finish after
// SIGINT or SIGTERM.
const shutdownGrace = 30 * time.Second

func cmdServe(ctx context.Context, e env, args []string) error {
	svc, _, err := setup(ctx, e, newFlagSet("plaza serve"), args, 0)
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := firstRun(ctx, svc, e); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", svc.cfg.Addr)
	if err != nil {
		return err
	}
	return serve(ctx, svc, ln)
}

// firstRun creates the owner from PLAZA_ADMIN_PASSWORD (login
// PLAZA_ADMIN_LOGIN, default "admin") on an empty database, or says how to
// create one.
func firstRun(ctx context.Context, svc *services, e env) error {
	n, err := svc.accounts.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := e.getenv("PLAZA_ADMIN_PASSWORD")
	if pw == "" {
		svc.log.Warn("no account yet: open the setup page (its address is logged below), create the owner with " +
			"`echo PASSWORD | ./plaza user add LOGIN` (the first account is the owner), or start with PLAZA_ADMIN_PASSWORD set")
		return nil
	}
	login := e.getenv("PLAZA_ADMIN_LOGIN")
	if login == "" {
		login = "admin"
	}
	a, err := svc.accounts.Create(ctx, account.NewAccount{Login: login, Password: pw})
	if err != nil {
		return fmt.Errorf("create the owner from PLAZA_ADMIN_PASSWORD: %w", err)
	}
	svc.log.Info("owner account created", "login", a.Login)
	return nil
}

// serve answers on ln until ctx ends, then lets requests in flight finish.
func serve(ctx context.Context, svc *services, ln net.Listener) error {
	// Lists and tasks from before task lists were calendars get theirs.
	if err := svc.tasks.ProjectAll(ctx); err != nil {
		return fmt.Errorf("task calendars: %w", err)
	}
	m := newMetrics(svc.db)
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "plaza_password_hashes_total", Help: "Passwords hashed to check a login (verified credentials are remembered).",
	}, func() float64 { return float64(svc.accounts.PasswordHashes()) }))
	h, fed, err := routes(svc, m)
	if err != nil {
		return err
	}
	srv := httpServer(ctx, svc.log, m, h, defaultBodyPolicy())
	go maintain(ctx, svc)
	go svc.indexer.Run(ctx, 2*time.Second) // search index and activity feed
	go svc.mail.run(ctx, svc)              // mail queue and notification digests
	// Deliveries in flight finish before the database closes.
	fedDone := make(chan struct{})
	go func() {
		defer close(fedDone)
		if err := fed.Queue().Run(ctx); err != nil && ctx.Err() == nil {
			svc.log.Error("federation delivery queue stopped", "err", err)
		}
	}()
	chatDone := make(chan struct{}) // chat fan-out (LISTEN on PostgreSQL) and presence heartbeats
	go func() { svc.chat.Run(ctx); close(chatDone) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	svc.log.Info("plaza serving", "addr", ln.Addr().String(), "base_url", svc.cfg.BaseURL, "database", svc.db.Kind)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	svc.log.Info("shutting down: waiting for requests in flight", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-chatDone // chat clients closed and their presence removed
	<-fedDone
	svc.log.Info("stopped")
	return nil
}

// httpServer serves h, logged and counted in m, with the limits every
// request gets: headers within 20 s, bodies paced and bounded by p (see
// limitBodies).
func httpServer(ctx context.Context, log *slog.Logger, m *metrics, h http.Handler, p bodyPolicy) *http.Server {
	return &http.Server{
		Handler:           logRequests(log, m.instrument(limitBodies(p, h))),
		ReadHeaderTimeout: 20 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

func routes(svc *services, m *metrics) (http.Handler, *federation.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := svc.db.PingContext(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", m.handler())
	mountDAV(mux, svc)
	fed, err := mountFederation(mux, svc)
	if err != nil {
		return nil, nil, fmt.Errorf("federation: %w", err)
	}
	ui, err := webui.New(webui.Options{
		Accounts:       svc.accounts,
		Spaces:         svc.spaces,
		Tasks:          svc.tasks,
		Polls:          svc.polls,
		Chat:           svc.chat,
		Blobs:          svc.blobs,
		Files:          svc.files,
		Forum:          svc.forum,
		News:           svc.news,
		ACL:            svc.acl,
		Settings:       svc.settings,
		Logger:         svc.log,
		BaseURL:        svc.cfg.BaseURL,
		Federation:     fed,
		Jitsi:          webui.JitsiOptions{URL: svc.cfg.JitsiURL, Secret: svc.cfg.JitsiJWTSecret, AppID: svc.cfg.JitsiAppID},
		ContentOptions: svc.content,
		AgendaOptions:  webui.AgendaOptions{Calendar: svc.calendar, Contacts: svc.contacts},

		AdminOptions: svc.mail.webui(svc),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("web UI: %w", err)
	}
	mux.Handle("/", davProbe(svc, ui))
	return mux, fed, nil
}

// maintain runs periodic housekeeping until ctx ends. Every process may
// run it: each task is safe to run concurrently with itself.
// activityRetention is how long the activity feed keeps events
// (Nextcloud's default expiry is a year too).
const activityRetention = 365 * 24 * time.Hour

// maintainOnce runs the periodic housekeeping: blob collection, expired
// sessions, file versions and trash, old activity.
func maintainOnce(ctx context.Context, svc *services) {
	if n, err := svc.blobs.Collect(ctx); err != nil && ctx.Err() == nil {
		svc.log.Warn("blob collection", "err", err)
	} else if n > 0 {
		svc.log.Info("blobs collected", "count", n)
	}
	if _, err := svc.accounts.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
		svc.log.Warn("session purge", "err", err)
	}
	if err := svc.accounts.PurgeResets(ctx); err != nil && ctx.Err() == nil {
		svc.log.Warn("password link purge", "err", err)
	}
	runFileMaintenance(ctx, svc)
	if n, err := svc.content.Activity.Prune(ctx, time.Now().Add(-activityRetention)); err != nil && ctx.Err() == nil {
		svc.log.Warn("activity prune", "err", err)
	} else if n > 0 {
		svc.log.Info("old activity pruned", "count", n)
	}
}

func maintain(ctx context.Context, svc *services) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		maintainOnce(ctx, svc)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
