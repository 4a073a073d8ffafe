package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"plaza/cmd/plaza/icalarm"
	"plaza/cmd/plaza/smtpmail"
	"plaza/core/account"
	"plaza/core/admin"
	"plaza/core/backup"
	"plaza/core/invite"
	"plaza/core/mail"
	"plaza/core/newsletter"
	"plaza/core/notify"
	"plaza/core/proposal"
	"plaza/webui"
)

// mailServices are the services that send mail: the queue and what
// fills it (invitations, administration's password links, newsletters,
// notifications).
type mailServices struct {
	queue       *mail.Queue
	resets      *account.Resets
	invites     *invite.Service
	admin       *admin.Service
	newsletters *newsletter.Service
	notify      *notify.Service
	proposals   *proposal.Service
}

// newMailServices builds them and hooks notifications onto the forum.
// The sender is noreply@ the base URL's host, or the SMTP URL's ?from=.
func newMailServices(svc *services) (*mailServices, error) {
	tpl, err := mail.LoadTemplates()
	if err != nil {
		return nil, err
	}
	host := "localhost"
	if u, err := url.Parse(svc.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	from := "noreply@" + host
	var tr mail.Transport
	if svc.cfg.SMTPURL != "" {
		u, err := url.Parse(svc.cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP URL: %w", err)
		}
		if f := u.Query().Get("from"); f != "" {
			if err := mail.CheckAddress(f); err != nil {
				return nil, fmt.Errorf("SMTP URL from=: %w", err)
			}
			from = f
		}
		t, err := smtpmail.Parse(svc.cfg.SMTPURL, host)
		if err != nil {
			return nil, err
		}
		tr = t
	}
	m := &mailServices{queue: mail.New(svc.db, mail.Options{From: from, Transport: tr, Blobs: svc.blobs, Logger: svc.log})}
	platform := admin.New(svc.db, admin.Options{Settings: svc.settings}).PlatformName
	m.resets = account.NewResets(svc.accounts, account.ResetOptions{Queue: m.queue, Templates: tpl,
		BaseURL: svc.cfg.BaseURL, Platform: platform})
	m.invites = invite.New(svc.db, invite.Options{Accounts: svc.accounts, Spaces: svc.spaces, Queue: m.queue,
		Templates: tpl, BaseURL: svc.cfg.BaseURL, Platform: platform})
	m.admin = admin.New(svc.db, admin.Options{Accounts: svc.accounts, Spaces: svc.spaces, Invites: m.invites,
		Settings: svc.settings, Blobs: svc.blobs})
	m.newsletters = newsletter.New(svc.db, newsletter.Options{Spaces: svc.spaces, Queue: m.queue, Blobs: svc.blobs,
		Directory: svc.contacts})
	m.notify = notify.New(svc.db, notify.Options{Queue: m.queue, Templates: tpl, Forum: svc.forum,
		BaseURL: svc.cfg.BaseURL, Platform: platform})
	svc.forum.AddHook(m.notify)
	svc.content.Wiki.AddHook(m.notify)
	svc.news.AddCommentHook(m.notify)
	svc.files.AddHook(m.notify)
	svc.calendar.AddHook(m.notify)
	m.proposals = proposal.New(svc.db, svc.spaces, svc.calendar, nil)
	return m, nil
}

// run sends queued mail every 5 seconds, notifies of task changes and
// calendar reminders every minute and queues the daily digests (checked hourly) until ctx ends.
// Every process may run it.
func (m *mailServices) run(ctx context.Context, svc *services) {
	go m.queue.Run(ctx, 5*time.Second)
	minute := time.NewTicker(time.Minute)
	defer minute.Stop()
	for i := 0; ; i++ {
		if _, err := m.notify.WatchTasks(ctx); err != nil && ctx.Err() == nil {
			svc.log.Warn("task notifications", "err", err)
		}
		if _, err := m.notify.SendReminders(ctx, icalarm.Alarms); err != nil && ctx.Err() == nil {
			svc.log.Warn("calendar reminders", "err", err)
		}
		if i%60 == 0 {
			if n, err := m.notify.SendDigests(ctx); err != nil && ctx.Err() == nil {
				svc.log.Warn("notification digests", "err", err)
			} else if n > 0 {
				svc.log.Info("notification digests queued", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-minute.C:
		}
	}
}

// webui is what the web UI needs of them.
func (m *mailServices) webui(svc *services) webui.AdminOptions {
	return webui.AdminOptions{Admin: m.admin, Invites: m.invites, Newsletters: m.newsletters, Notify: m.notify, Mail: m.queue,
		Resets:    m.resets,
		Proposals: m.proposals,
		Backup: func(ctx context.Context, w io.Writer) error {
			_, err := backup.Write(ctx, svc.db, svc.blobs, w)
			return err
		},
		Directory: func(ctx context.Context, spaceID int64) (int64, error) {
			return svc.contacts.EnsureSpace(ctx, spaceID, "Directory")
		}}
}
