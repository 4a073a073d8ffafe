// Package smtptest runs a real SMTP server (go-smtp's server side) on a
// loopback port for tests and keeps every message it accepts.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool // came over STARTTLS
	User string
}

// Options of the server.
type Options struct {
	STARTTLS bool   // offer STARTTLS with a self-signed certificate
	Reject   string // a recipient refused for good (550)
	User     string // require AUTH PLAIN with User and Password
	Password string
}

// Server is a capturing SMTP server.
type Server struct {
	t    testing.TB
	o    Options
	addr string
	tls  *tls.Config

	mu   sync.Mutex
	msgs []Message
	srv  *smtp.Server
	ln   net.Listener
	done chan struct{}
}

// Start listens on 127.0.0.1 on a random port; the server stops with the test.
func Start(t testing.TB, o Options) *Server {
	s := &Server{t: t, o: o}
	if o.STARTTLS {
		s.tls = selfSigned(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// URL is smtp://[user:password@]addr.
func (s *Server) URL() string {
	if s.o.User != "" {
		return "smtp://" + s.o.User + ":" + s.o.Password + "@" + s.addr
	}
	return "smtp://" + s.addr
}

// ClientTLS trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.tls.Certificates[0].Leaf)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = s.tls
	srv.AllowInsecureAuth = s.tls == nil
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 30 << 20
	done := make(chan struct{})
	s.mu.Lock()
	s.srv, s.ln, s.done = srv, l, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		srv.Serve(l) //nolint:errcheck
	}()
}

// Stop closes the server: connections are then refused.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, done := s.srv, s.ln, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		// Closing the listener too: Close before Serve started would
		// otherwise leave Serve running.
		srv.Close()
		ln.Close()
		<-done
	}
}

// Resume listens again on the same address.
func (s *Server) Resume() {
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(l)
}

// Messages returns a copy of what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until n messages arrived or d passed, and returns them.
func (s *Server) Wait(n int, d time.Duration) []Message {
	end := time.Now().Add(d)
	for {
		m := s.Messages()
		if len(m) >= n || time.Now().After(end) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.o.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != ss.s.o.User || password != ss.s.o.Password {
			return errors.New("invalid credentials")
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.o.User != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.o.Reject != "" && to == ss.s.o.Reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: ss.to, Data: b, TLS: isTLS, User: ss.user})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func selfSigned(t testing.TB) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}}
}
