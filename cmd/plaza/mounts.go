package main

import (
	"context"
	"net/http"
	"os"

	"plaza/dav/caldav"
	"plaza/dav/carddav"
	"plaza/dav/davhttp"
	davfiles "plaza/dav/files"
	"plaza/dav/principal"
	"plaza/federation"
)

// version is the software version NodeInfo reports.
const version = "0.1.0"

// mountDAV serves the DAV tree of the contract: discovery, principals,
// files, calendars and address books behind HTTP Basic, and the
// subscription feeds (a secret token in their URL) without it.
func mountDAV(mux *http.ServeMux, svc *services) {
	auth := func(h http.Handler) http.Handler { return davhttp.RequireBasic(svc.accounts, svc.log, h) }
	disc := discovery(svc)
	filesDAV := auth(davfiles.New(davfiles.Options{Files: svc.files, Accounts: svc.accounts, Spaces: svc.spaces,
		Logger: svc.log, Prefix: "/dav"}))
	// vdirsyncer adds a slash to the well-known paths.
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav", "/.well-known/caldav/{$}", "/.well-known/carddav/{$}"} {
		mux.Handle(p, principal.NewWellKnown())
	}
	mux.Handle("/dav/", disc)
	mux.Handle("/dav", principal.ServerRoot(disc, davfiles.Probe(http.RedirectHandler("/dav/", http.StatusMovedPermanently))))
	mux.Handle("/dav/principals/", disc)
	// The bare /dav/files and /dav/spaces too: ServeMux would answer a
	// PROPFIND there with a redirect, which Windows does not follow.
	for _, p := range []string{"/dav/files/", "/dav/files", "/dav/spaces/", "/dav/spaces", "/dav/versions/", "/dav/trash/"} {
		mux.Handle(p, filesDAV)
	}
	// Public links answer without an account (their token is the secret).
	mux.Handle("/dav/public/", davfiles.New(davfiles.Options{Files: svc.files, Accounts: svc.accounts, Spaces: svc.spaces,
		Logger: svc.log, Prefix: "/dav", Links: svc.content.ShareLinks}))
	mux.Handle("/dav/calendars/", auth(caldav.New(caldav.Options{Calendars: svc.calendar, Logger: svc.log})))
	mux.Handle("/dav/addressbooks/", auth(carddav.New(carddav.Options{Contacts: svc.contacts, Logger: svc.log})))
	mux.Handle("/dav/ical/", caldav.NewFeeds(caldav.Options{Calendars: svc.calendar, Logger: svc.log}))
}

// discovery is the DAV root and the principals, behind Basic.
func discovery(svc *services) http.Handler {
	return davhttp.RequireBasic(svc.accounts, svc.log,
		principal.New(principal.Options{Accounts: svc.accounts, Spaces: svc.spaces, Logger: svc.log}))
}

// davProbe answers DAV in front of the web UI: PROPFIND / as the DAV root
// (a client given only the server URL finds the principal there), 404 for
// PROPFIND on other paths, and the OPTIONS Windows and GNOME send to the
// server root before mounting.
func davProbe(svc *services, ui http.Handler) http.Handler {
	return principal.ServerRoot(discovery(svc), davfiles.Probe(ui))
}

// mountFederation serves ActivityPub, WebFinger and NodeInfo, and returns
// the server whose delivery queue serve runs.
func mountFederation(mux *http.ServeMux, svc *services) (*federation.Server, error) {
	resolve, err := svc.cfg.federationResolve()
	if err != nil {
		return nil, err
	}
	fed, err := federation.New(federation.Options{
		DB: svc.db, Accounts: svc.accounts, Spaces: svc.spaces, BaseURL: svc.cfg.BaseURL, Insecure: svc.cfg.FederationInsecure, Resolve: resolve, Logger: svc.log,
		Forum: svc.forum, News: svc.news, Polls: svc.polls, Version: version,
		// Stable across restarts (a restarted server takes its claims back
		// at once), distinct between processes on one host (their addresses).
		WorkerID: hostname() + " " + svc.cfg.Addr,
	})
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/", "/ap/"} {
		mux.Handle(p, fed)
	}
	return fed, nil
}

// runFileMaintenance purges expired trash and locks of the file trees.
func runFileMaintenance(ctx context.Context, svc *services) {
	if n, err := svc.files.Maintain(ctx); err != nil && ctx.Err() == nil {
		svc.log.Warn("file maintenance", "err", err)
	} else if n > 0 {
		svc.log.Info("trash purged", "items", n)
	}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
