package main

import "testing"

func TestRedactPath(t *testing.T) {
	for in, want := range map[string]string{
		"/feed/s3cr3t-token":  "/feed/[token]",
		"/dav/ical/abc.ics":   "/dav/ical/[token]",
		"/dav/ical/":          "/dav/ical/",
		"/dav/calendars/ann/": "/dav/calendars/ann/",
		"/s/team/tasks/3":     "/s/team/tasks/3",
	} {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
