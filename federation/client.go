package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MaxBody is the largest ActivityPub document sent to us or fetched (as
// Mastodon does).
const MaxBody = 1 << 20

// errRefusedAddress is returned when a peer resolves to an address that
// must not be reached from the server (loopback, private networks…).
var errRefusedAddress = errors.New("refused address")

// refusedPrefixes are the ranges no outgoing federation request may reach:
// loopback, private, link-local, CGNAT, multicast, documentation,
// benchmarking and reserved ranges, NAT64, v4 and v6.
var refusedPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
		"2001::/23", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// publicAddr reports whether a may be reached by federation requests.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range refusedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// checkDial is the dialer's Control hook: it sees the address actually
// dialled, after DNS resolution, so a host name pointing at a private
// address (or re-resolving to one) is refused too.
func checkDial(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !publicAddr(a) {
		return fmt.Errorf("%w: %s", errRefusedAddress, host)
	}
	return nil
}

// newClient returns the one HTTP client of federation: 5 s to connect,
// 30 s in all, at most 2 redirects each re-checked, no proxy, and (unless
// insecure) only https to public addresses.
func newClient(insecure bool, resolve map[string]string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !insecure {
		d.Control = checkDial
	}
	dial := d.DialContext
	if len(resolve) > 0 {
		// Test peers named like real hosts (gts.test) on loopback
		// addresses, without editing /etc/hosts.
		dial = func(ctx context.Context, network, address string) (net.Conn, error) {
			if host, port, err := net.SplitHostPort(address); err == nil {
				if ip, ok := resolve[strings.ToLower(host)]; ok {
					address = net.JoinHostPort(ip, port)
				}
			}
			return d.DialContext(ctx, network, address)
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 2 {
				return errors.New("too many redirects")
			}
			return checkURL(req.URL, insecure)
		},
	}
}

// checkURL refuses URLs federation must not fetch.
func checkURL(u *url.URL, insecure bool) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && insecure:
	default:
		return fmt.Errorf("%w: only https URLs are fetched", errRefusedAddress)
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: URL without host or with credentials", errRefusedAddress)
	}
	return nil
}

// statusError is an unexpected HTTP status from a peer.
type statusError struct {
	Code       int
	RetryAfter time.Duration
}

func (e *statusError) Error() string {
	return "HTTP " + strconv.Itoa(e.Code) + " " + http.StatusText(e.Code)
}

// readLimited reads at most MaxBody bytes of r.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("document larger than %d bytes", MaxBody)
	}
	return b, nil
}

func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// hostLimiter bounds the fetches made to each remote host (a token bucket
// per host), so activities naming many objects, or bad signatures naming
// keys, cannot make this server hammer a host. It lives in process
// memory: a per-process limit is what it is meant to be.
type hostLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newHostLimiter(rate, burst float64) *hostLimiter {
	return &hostLimiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token for host, reporting false when it has none left.
func (l *hostLimiter) allow(host string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[host]
	if !ok {
		if len(l.buckets) >= 10_000 {
			// Forget idle hosts (a full bucket is the state of a new one).
			for h, x := range l.buckets {
				if x.tokens+now.Sub(x.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, h)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[host] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
