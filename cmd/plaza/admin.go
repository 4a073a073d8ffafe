package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"plaza/core"
	"plaza/core/account"
	"plaza/core/backup"
	"plaza/core/space"
)

// setup parses the configuration flags plus a command's own, and opens
// the services.
func setup(ctx context.Context, e env, fs *flag.FlagSet, args []string, positional int) (*services, []string, error) {
	var cfg Config
	cfg.register(fs, e.getenv)
	pos, err := parseArgs(fs, args, positional)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	svc, err := open(ctx, cfg, log)
	return svc, pos, err
}

func cmdMigrate(ctx context.Context, e env, args []string) error {
	svc, _, err := setup(ctx, e, newFlagSet("plaza migrate"), args, 0)
	if err != nil {
		return err
	}
	defer svc.Close()
	fmt.Fprintln(e.stdout, "database is up to date")
	return nil
}

// readPassword reads the password from the first line of stdin.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin (give it as the first line)")
	}
	return pw, nil
}

func cmdUserAdd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("plaza user add LOGIN [--email E] [--name N] [--admin] [--guest]")
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "display name")
	admin := fs.Bool("admin", false, "platform administrator")
	guest := fs.Bool("guest", false, "guest: sees only the spaces it is invited to")
	svc, pos, err := setup(ctx, e, fs, args, 1)
	if err != nil {
		return err
	}
	defer svc.Close()
	if *admin && *guest {
		return errors.New("--admin and --guest exclude each other")
	}
	typ := core.User
	switch {
	case *admin:
		typ = core.Administrator
	case *guest:
		typ = core.Guest
	}
	pw, err := readPassword(e.stdin)
	if err != nil {
		return err
	}
	a, err := svc.accounts.Create(ctx, account.NewAccount{Login: pos[0], Email: *email, Name: *name, Type: typ, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "account %s created (%s)\n", a.Login, a.Type)
	return nil
}

func cmdSpaceAdd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("plaza space add SLUG [--name N] [--public]")
	name := fs.String("name", "", "display name")
	public := fs.Bool("public", false, "admit anonymous visitors (read only)")
	svc, pos, err := setup(ctx, e, fs, args, 1)
	if err != nil {
		return err
	}
	defer svc.Close()
	sp, err := svc.spaces.Create(ctx, space.NewSpace{Slug: pos[0], Name: *name, Public: *public})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "space %s created\n", sp.Slug)
	return nil
}

func cmdSpaceMember(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("plaza space member SLUG LOGIN [--role admin|member]")
	role := fs.String("role", "member", "admin or member")
	svc, pos, err := setup(ctx, e, fs, args, 2)
	if err != nil {
		return err
	}
	defer svc.Close()
	sp, err := svc.spaces.BySlug(ctx, pos[0])
	if err != nil {
		return err
	}
	a, err := svc.accounts.ByLogin(ctx, pos[1])
	if err != nil {
		return err
	}
	if err := svc.spaces.SetMember(ctx, sp.ID, a.ID, space.Role(*role)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is %s of %s\n", a.Login, *role, sp.Slug)
	return nil
}

func cmdBackup(ctx context.Context, e env, args []string) error {
	svc, pos, err := setup(ctx, e, newFlagSet("plaza backup FILE"), args, 1)
	if err != nil {
		return err
	}
	defer svc.Close()
	// Write next to the target and rename: a failed backup never leaves a
	// truncated file under the expected name.
	dest := pos[0]
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".plaza-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Write(ctx, svc.db, svc.blobs, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s: %d rows, %d blobs\n", dest, m.Rows, m.Blobs)
	return nil
}

func cmdRestore(ctx context.Context, e env, args []string) error {
	svc, pos, err := setup(ctx, e, newFlagSet("plaza restore FILE"), args, 1)
	if err != nil {
		return err
	}
	defer svc.Close()
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := backup.Restore(ctx, svc.db, svc.blobs, f)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(e.stdout, "restored %d rows and %d blobs from the backup of %s\n", m.Rows, m.Blobs, m.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level)) //nolint:errcheck // validated already
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// cmdUserAppPassword makes an app password for scripts and DAV clients
// and prints it (the only time it is shown); --list lists them and
// --revoke ID revokes one.
func cmdUserAppPassword(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("plaza user app-password LOGIN [--name N] | --list | --revoke ID")
	name := fs.String("name", "", "what the password is for (default: script)")
	list := fs.Bool("list", false, "list the account's app passwords")
	revoke := fs.Int64("revoke", 0, "revoke the app password with this id")
	svc, pos, err := setup(ctx, e, fs, args, 1)
	if err != nil {
		return err
	}
	defer svc.Close()
	a, err := svc.accounts.ByLogin(ctx, pos[0])
	if err != nil {
		return err
	}
	switch {
	case *list && *revoke != 0:
		return errors.New("--list and --revoke exclude each other")
	case *list:
		aps, err := svc.accounts.AppPasswords(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, ap := range aps {
			used := "never used"
			if ap.LastUsedAt != nil {
				used = "last used " + ap.LastUsedAt.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(e.stdout, "%d\t%s\tcreated %s\t%s\n", ap.ID, ap.Label, ap.CreatedAt.UTC().Format("2006-01-02 15:04"), used)
		}
		return nil
	case *revoke != 0:
		if err := svc.accounts.RevokeAppPassword(ctx, a.ID, *revoke); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "app password %d of %s revoked\n", *revoke, a.Login)
		return nil
	}
	label := *name
	if label == "" {
		label = "script"
	}
	pw, _, err := svc.accounts.CreateAppPassword(ctx, a.ID, label)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, pw)
	return nil
}
