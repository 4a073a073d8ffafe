// Command plaza is the Plaza groupware server and its administration
// commands.
//
//	plaza serve
//	plaza migrate
//	plaza user add LOGIN [--email E] [--name N] [--admin] [--guest]   # password on stdin
//	plaza user app-password LOGIN [--name N] | --list | --revoke ID
//	plaza space add SLUG [--name N] [--public]
//	plaza space member SLUG LOGIN [--role admin|member]
//	plaza backup FILE
//	plaza restore FILE
//
// Every command accepts the configuration flags (plaza serve -h lists
// them); each flag overrides its PLAZA_* environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage:
  plaza serve
  plaza migrate
  plaza user add LOGIN [--email E] [--name N] [--admin] [--guest]   (password on stdin)
  plaza user app-password LOGIN [--name N] | --list | --revoke ID   (prints a new one)
  plaza space add SLUG [--name N] [--public]
  plaza space member SLUG LOGIN [--role admin|member]
  plaza backup FILE
  plaza restore FILE
every command takes the configuration flags; see plaza serve -h`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "plaza: "+oneLine(err))
		}
		os.Exit(1)
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// env is what a command gets from the process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		return errors.New("no command given\n" + usage)
	}
	cmd, rest := args[0], args[1:]
	sub := func() (string, []string) {
		if len(rest) == 0 {
			return "", nil
		}
		return rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, e, rest)
	case "migrate":
		return cmdMigrate(ctx, e, rest)
	case "user":
		switch s, r := sub(); s {
		case "add":
			return cmdUserAdd(ctx, e, r)
		case "app-password":
			return cmdUserAppPassword(ctx, e, r)
		default:
			return fmt.Errorf("unknown command 'user %s': want 'user add' or 'user app-password'", s)
		}
	case "space":
		switch s, r := sub(); s {
		case "add":
			return cmdSpaceAdd(ctx, e, r)
		case "member":
			return cmdSpaceMember(ctx, e, r)
		default:
			return fmt.Errorf("unknown command 'space %s': want 'space add' or 'space member'", s)
		}
	case "backup":
		return cmdBackup(ctx, e, rest)
	case "restore":
		return cmdRestore(ctx, e, rest)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q; run 'plaza help'", cmd)
}
