package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"plaza/core/blob"
)

// Config is the whole configuration, read once here and passed down.
type Config struct {
	Addr               string
	BaseURL            string
	DataDir            string
	DatabaseURL        string
	BlobURL            string
	S3AccessKey        string // from AWS_ACCESS_KEY_ID, never a flag (it would show in ps)
	S3SecretKey        string
	S3SessionToken     string
	SMTPURL            string
	JitsiURL           string
	JitsiJWTSecret     string
	JitsiAppID         string
	FederationInsecure bool
	FederationResolve  string // "host=ip,…": tests only
	LogLevel           string
}

// register adds the configuration flags to fs, with defaults taken from
// the PLAZA_* environment variables: flags override the environment.
func (c *Config) register(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, def, usage string) {
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" ($"+env+")")
	}
	str(&c.Addr, "addr", "PLAZA_ADDR", "127.0.0.1:8080", "listen address")
	str(&c.BaseURL, "base-url", "PLAZA_BASE_URL", "", "public URL used in hrefs and ActivityPub ids; empty: http:// and the listen address")
	str(&c.DataDir, "data", "PLAZA_DATA", "./data", "directory of the SQLite database and blobs")
	str(&c.DatabaseURL, "database-url", "PLAZA_DATABASE_URL", "", "postgres://… selects PostgreSQL")
	str(&c.BlobURL, "blob-url", "PLAZA_BLOB_URL", "", "s3://bucket[/prefix]?endpoint=…&region=… keeps file content in an S3-compatible store; empty: in the data directory")
	c.S3AccessKey, c.S3SecretKey, c.S3SessionToken = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	str(&c.SMTPURL, "smtp-url", "PLAZA_SMTP_URL", "", "smtp://host:port for outgoing mail; empty: mail is queued and logged")
	str(&c.JitsiURL, "jitsi-url", "PLAZA_JITSI_URL", "https://meet.jit.si", "Jitsi Meet base URL")
	str(&c.JitsiJWTSecret, "jitsi-jwt-secret", "PLAZA_JITSI_JWT_SECRET", "", "sign Jitsi links with this HS256 secret (self-hosted Jitsi with token auth)")
	str(&c.JitsiAppID, "jitsi-app-id", "PLAZA_JITSI_APP_ID", "plaza", "issuer (app id) of signed Jitsi links")
	str(&c.LogLevel, "log-level", "PLAZA_LOG_LEVEL", "info", "debug, info, warn or error")
	insecure, _ := strconv.ParseBool(getenv("PLAZA_FEDERATION_INSECURE"))
	fs.BoolVar(&c.FederationInsecure, "federation-insecure", insecure,
		"allow http:// and loopback federation peers, for tests only ($PLAZA_FEDERATION_INSECURE)")
	str(&c.FederationResolve, "federation-resolve", "PLAZA_FEDERATION_RESOLVE", "",
		"host=ip[,host=ip…]: reach these federation peers at these addresses, for tests only (needs --federation-insecure)")
}

// federationResolve reads FederationResolve ("gts.test=127.0.0.2,…").
func (c *Config) federationResolve() (map[string]string, error) {
	if c.FederationResolve == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range strings.Split(c.FederationResolve, ",") {
		host, ip, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || host == "" || net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("federation resolve %q: want host=ip[,host=ip…]", kv)
		}
		m[strings.ToLower(host)] = ip
	}
	return m, nil
}

func (c *Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: want host:port", c.Addr)
	}
	if c.BaseURL == "" {
		c.BaseURL = baseFromAddr(c.Addr)
	}
	for name, raw := range map[string]string{"base URL": c.BaseURL, "Jitsi URL": c.JitsiURL} {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s %q: want http:// or https:// and a host", name, raw)
		}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") {
			return fmt.Errorf("SMTP URL %q: want smtp://host:port", c.SMTPURL)
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("database URL: only postgres:// is supported")
	}
	if c.BlobURL != "" {
		if _, err := blob.ParseS3URL(c.BlobURL); err != nil {
			return err
		}
	}
	if _, err := c.federationResolve(); err != nil {
		return err
	}
	if c.FederationResolve != "" && !c.FederationInsecure {
		return fmt.Errorf("federation resolve: for tests only, it needs --federation-insecure")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// baseFromAddr is the base URL when none is set: http:// and the listen
// address, with "localhost" for an unspecified host (":8080",
// "0.0.0.0:8080", "[::]:8080"), so links work where the server listens.
func baseFromAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseArgs parses flags and positional arguments in any order
// (`plaza user add bob --admin` and `plaza user add --admin bob`), and
// checks the number of positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("want %d argument(s), got %d: usage: %s", positional, len(pos), fs.Name())
	}
	return pos, nil
}

func newFlagSet(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(usage, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
