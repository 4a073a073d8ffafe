// Package smtpmail delivers the mail queue's messages over SMTP with
// github.com/emersion/go-smtp: STARTTLS when the server offers it, AUTH
// PLAIN when the URL carries credentials. It lives outside core because
// core imports no protocol library.
package smtpmail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"plaza/core/mail"
)

// Transport sends over one SMTP server. It implements mail.Transport.
type Transport struct {
	addr        string
	host        string
	user        string
	password    string
	hello       string
	offersTLS   atomic.Bool
	implicitTLS bool
	// TLSConfig for STARTTLS; nil verifies the server's name.
	TLSConfig *tls.Config
	// Timeout bounds a whole conversation. Default 30 s.
	Timeout time.Duration
}

// Parse reads smtp://[user:password@]host[:port] (port 25 by default;
// STARTTLS when offered) or smtps://… (TLS from the start, port 465 by
// default). hello is the name given in EHLO.
func Parse(raw, hello string) (*Transport, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP URL must be smtp://[user:password@]host:port")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "25", "smtps": "465"}[u.Scheme]
	}
	t := &Transport{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), hello: hello,
		implicitTLS: u.Scheme == "smtps", Timeout: 30 * time.Second}
	if u.User != nil {
		t.user = u.User.Username()
		t.password, _ = u.User.Password()
	}
	if t.hello == "" {
		t.hello = "localhost"
	}
	return t, nil
}

// Send delivers msg from from to to in one SMTP conversation. Whether
// the server offers STARTTLS is learnt on the first conversation (the
// EHLO answer) and then asked for every time, so a downgrade is refused.
func (t *Transport) Send(ctx context.Context, from, to string, msg []byte) error {
	c, err := t.dial(ctx, t.offersTLS.Load())
	if err != nil {
		return err
	}
	defer c.Close()
	if !t.offersTLS.Load() && !t.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.offersTLS.Store(true)
			c.Close()
			if c, err = t.dial(ctx, true); err != nil {
				return err
			}
			defer c.Close()
		}
	}
	if t.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("SMTP server %s offers no AUTH", t.addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", t.user, t.password)); err != nil {
			return fmt.Errorf("SMTP AUTH: %w", err)
		}
	}
	if err := c.SendMail(from, []string{to}, bytes.NewReader(msg)); err != nil {
		return classify(err)
	}
	return c.Quit()
}

// classify marks 5xx answers as permanent (mail.ErrPermanent).
func classify(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return fmt.Errorf("%w: %w", mail.ErrPermanent, err)
	}
	return err
}

func (t *Transport) dial(ctx context.Context, startTLS bool) (*smtp.Client, error) {
	d := net.Dialer{Timeout: t.Timeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline) //nolint:errcheck
	if t.implicitTLS {
		conn = tls.Client(conn, t.tlsConfig())
		startTLS = false
	}
	if startTLS {
		c, err := smtp.NewClientStartTLS(conn, t.tlsConfig())
		if err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
		return c, nil
	}
	c := smtp.NewClient(conn)
	if err := c.Hello(t.hello); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (t *Transport) tlsConfig() *tls.Config {
	if t.TLSConfig != nil {
		return t.TLSConfig
	}
	return &tls.Config{ServerName: t.host}
}
