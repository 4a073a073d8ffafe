package blob

import (
	"fmt"
	"net/url"
	"strings"

	"plaza/core"
)

// S3Options select a bucket of an S3-compatible object store, the Backend
// of package plaza/core/blob/s3.
type S3Options struct {
	Endpoint string // host[:port]
	Insecure bool   // plain http:// to the endpoint
	Region   string
	Bucket   string
	Prefix   string // put before every key, e.g. "plaza/"
	// Credentials; empty AccessKey: anonymous.
	AccessKey, SecretKey, SessionToken string
}

// ParseS3URL reads s3://BUCKET[/PREFIX][?endpoint=URL&region=REGION]. The
// endpoint is https://host[:port] or http://host[:port] (a bare host
// means https); it defaults to Amazon S3.
func ParseS3URL(raw string) (S3Options, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return S3Options{}, fmt.Errorf("%w: blob URL %q: want s3://bucket[/prefix]?endpoint=…&region=…", core.ErrInvalid, raw)
	}
	o := S3Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Endpoint: "s3.amazonaws.com"}
	if o.Prefix != "" {
		o.Prefix += "/"
	}
	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return S3Options{}, fmt.Errorf("%w: blob URL: unknown parameter %q (want endpoint, region)", core.ErrInvalid, k)
		}
	}
	o.Region = q.Get("region")
	if ep := q.Get("endpoint"); ep != "" {
		if !strings.Contains(ep, "://") {
			ep = "https://" + ep
		}
		e, err := url.Parse(ep)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || strings.Trim(e.Path, "/") != "" {
			return S3Options{}, fmt.Errorf("%w: blob URL endpoint %q: want http(s)://host[:port]", core.ErrInvalid, q.Get("endpoint"))
		}
		o.Endpoint, o.Insecure = e.Host, e.Scheme == "http"
	}
	return o, nil
}
