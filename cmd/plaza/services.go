package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"plaza/core/account"
	"plaza/core/acl"
	"plaza/core/activity"
	"plaza/core/blob"
	"plaza/core/blob/s3"
	"plaza/core/calendar"
	"plaza/core/chat"
	"plaza/core/contacts"
	"plaza/core/files"
	"plaza/core/forum"
	"plaza/core/links"
	"plaza/core/news"
	"plaza/core/poll"
	"plaza/core/search"
	"plaza/core/settings"
	"plaza/core/sharelink"
	"plaza/core/space"
	"plaza/core/store"
	"plaza/core/task"
	"plaza/core/wiki"
	"plaza/dav/caldav/ics"
	"plaza/dav/carddav/vcf"
	"plaza/migrations"
	"plaza/webui"
)

// services are the core services one process uses, built once from the
// configuration. This is the composition root: nothing else wires.
type services struct {
	cfg      Config
	log      *slog.Logger
	db       *store.DB
	blobs    *blob.Store
	accounts *account.Service
	spaces   *space.Service
	acl      *acl.Engine
	tasks    *task.Service
	polls    *poll.Service
	chat     *chat.Service
	files    *files.Service
	settings *settings.Store
	calendar *calendar.Service
	contacts *contacts.Service
	forum    *forum.Service
	news     *news.Service
	indexer  *search.Indexer      // search index and activity feed, fed by triggers
	content  webui.ContentOptions // search, activity, wiki, links
	mail     *mailServices        // mail.go
}

// open connects to the database, migrates it to this binary's schema and
// builds the services.
func open(ctx context.Context, cfg Config, log *slog.Logger) (*services, error) {
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, URL: cfg.DatabaseURL, Logger: log})
	if err != nil {
		return nil, err
	}
	ms, err := migrations.For(string(db.Kind))
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Migrate(ctx, ms, log); err != nil {
		db.Close()
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg, db, log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("blob store: %w", err)
	}
	engine := acl.New(db)
	svc := &services{
		cfg:      cfg,
		log:      log,
		db:       db,
		blobs:    blobs,
		accounts: account.New(db, nil),
		spaces:   space.New(db, nil),
		acl:      engine,
		tasks:    task.New(db, engine, nil),
		polls:    poll.New(db, nil),
		chat:     chat.New(chat.Options{DB: db, ACL: engine, Blobs: blobs, Logger: log}),
		files:    files.New(files.Options{DB: db, Blobs: blobs}),
		calendar: calendar.New(db, engine, ics.Codec{}, nil),
		contacts: contacts.New(db, engine, vcf.Codec{}, nil),
		forum:    forum.New(db, forum.Options{Blobs: blobs}),
		news:     news.New(db, news.Options{Blobs: blobs}),
		settings: settings.New(db),
		indexer:  search.NewIndexer(db, blobs, log),
		content: webui.ContentOptions{Search: search.New(db), Activity: activity.New(db, nil),
			Wiki: wiki.New(db, engine, nil), Links: links.New(db, engine, blobs, nil)},
	}
	svc.content.ShareLinks = sharelink.New(db, svc.files, svc.accounts, nil)
	// Task lists are also CalDAV calendars of VTODO under their own ACL.
	svc.tasks.ShowAsCalendars(svc.calendar.Store, ics.Codec{})
	if svc.mail, err = newMailServices(svc); err != nil {
		db.Close()
		return nil, err
	}
	return svc, nil
}

func (s *services) Close() error { return s.db.Close() }

// openBlobs opens the blob store: the data directory, or the object store
// the blob URL names (uploads are still spooled in the data directory).
func openBlobs(ctx context.Context, cfg Config, db *store.DB, log *slog.Logger) (*blob.Store, error) {
	o := blob.Options{Dir: filepath.Join(cfg.DataDir, "blobs"), DB: db, Logger: log}
	if cfg.BlobURL != "" {
		so, err := blob.ParseS3URL(cfg.BlobURL)
		if err != nil {
			return nil, err
		}
		so.AccessKey, so.SecretKey, so.SessionToken = cfg.S3AccessKey, cfg.S3SecretKey, cfg.S3SessionToken
		if o.Backend, err = s3.New(ctx, so); err != nil {
			return nil, err
		}
	}
	return blob.New(o)
}
