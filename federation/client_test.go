package federation

import (
	"net/netip"
	"net/url"
	"testing"
	"time"
)

func TestHostLimiter(t *testing.T) {
	l := newHostLimiter(2, 3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if !l.allow("a.example", now) {
			t.Fatalf("fetch %d refused within the burst", i)
		}
	}
	if l.allow("a.example", now) {
		t.Fatal("fetch beyond the burst allowed")
	}
	if !l.allow("b.example", now) {
		t.Fatal("another host refused")
	}
	if !l.allow("a.example", now.Add(500*time.Millisecond)) || l.allow("a.example", now.Add(500*time.Millisecond)) {
		t.Fatal("refill is not 2 per second")
	}
}

func TestPublicAddr(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"93.184.216.34", true}, {"2606:4700:4700::1111", true}, {"1.1.1.1", true},
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"100.64.0.1", false}, {"169.254.169.254", false}, {"0.0.0.0", false}, {"224.0.0.1", false},
		{"255.255.255.255", false}, {"198.18.0.1", false}, {"192.0.2.1", false}, {"240.0.0.1", false},
		{"::1", false}, {"::", false}, {"fc00::1", false}, {"fd12::1", false}, {"fe80::1", false}, {"ff02::1", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"64:ff9b::7f00:1", false}, {"2001:db8::1", false},
	} {
		if got := publicAddr(netip.MustParseAddr(c.addr)); got != c.ok {
			t.Errorf("publicAddr(%s) = %v, want %v", c.addr, got, c.ok)
		}
	}
	for _, c := range []struct {
		u        string
		insecure bool
		ok       bool
	}{
		{"https://a.example/x", false, true}, {"http://a.example/x", false, false}, {"http://a.example/x", true, true},
		{"ftp://a.example/x", true, false}, {"https://user:pw@a.example/", false, false}, {"https:///x", false, false},
	} {
		u, _ := url.Parse(c.u)
		if err := checkURL(u, c.insecure); (err == nil) != c.ok {
			t.Errorf("checkURL(%s, %v) = %v", c.u, c.insecure, err)
		}
	}
}
