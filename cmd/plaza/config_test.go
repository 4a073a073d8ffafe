package main

import "testing"

// The base URL follows the listen address unless it is set, so pages show
// working WebDAV and invitation addresses when only PLAZA_ADDR changes.
func TestBaseURLFromListenAddress(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "http://127.0.0.1:8080"},
		{map[string]string{"PLAZA_ADDR": "127.0.0.1:9090"}, nil, "http://127.0.0.1:9090"},
		{nil, []string{"--addr", ":7070"}, "http://localhost:7070"},
		{map[string]string{"PLAZA_ADDR": "0.0.0.0:80"}, nil, "http://localhost:80"},
		{map[string]string{"PLAZA_ADDR": "[::]:8443"}, nil, "http://localhost:8443"},
		{map[string]string{"PLAZA_ADDR": "[::1]:8080"}, nil, "http://[::1]:8080"},
		{map[string]string{"PLAZA_ADDR": "10.0.0.5:8080", "PLAZA_BASE_URL": "https://plaza.example/"}, nil, "https://plaza.example"},
		{nil, []string{"--addr", "127.0.0.1:1", "--base-url", "https://x.example"}, "https://x.example"},
	} {
		var c Config
		fs := newFlagSet("plaza serve")
		c.register(fs, func(k string) string { return tc.env[k] })
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if err := c.validate(); err != nil {
			t.Fatalf("%v %v: %v", tc.env, tc.args, err)
		}
		if c.BaseURL != tc.want {
			t.Errorf("%v %v: base URL %q, want %q", tc.env, tc.args, c.BaseURL, tc.want)
		}
	}
}
