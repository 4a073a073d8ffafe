package mail

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"plaza/core/blob"
)

// Header is what Compose writes above the body.
type Header struct {
	From, To, Subject, MessageID string
	Date                         time.Time
}

// Compose writes an RFC 5322 message: text, optionally an HTML
// alternative, and attachments read from blobs.
func Compose(w io.Writer, h Header, text, html string, att []Attachment, blobs *blob.Store) error {
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n",
		h.From, h.To, mime.QEncoding.Encode("utf-8", h.Subject), h.Date.Format(time.RFC1123Z), h.MessageID)
	if html == "" && len(att) == 0 {
		fmt.Fprint(w, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		return writeQP(w, text)
	}
	mixed := multipart.NewWriter(w)
	fmt.Fprintf(w, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", mixed.Boundary())
	if err := writeBody(mixed, text, html); err != nil {
		return err
	}
	for _, a := range att {
		if blobs == nil {
			return fmt.Errorf("attachment %q: no blob store", a.Name)
		}
		f, err := blobs.Open(a.Hash)
		if err != nil {
			return fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		ph := textproto.MIMEHeader{}
		ph.Set("Content-Type", mime.FormatMediaType(a.ContentType, nil))
		if ph.Get("Content-Type") == "" {
			ph.Set("Content-Type", "application/octet-stream")
		}
		ph.Set("Content-Transfer-Encoding", "base64")
		ph.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
		pw, err := mixed.CreatePart(ph)
		if err == nil {
			err = writeBase64(pw, f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return mixed.Close()
}

func writeBody(mixed *multipart.Writer, text, html string) error {
	if html == "" {
		pw, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		return writeQP(pw, text)
	}
	var b strings.Builder
	alt := multipart.NewWriter(&b)
	for _, p := range []struct{ ct, body string }{{"text/plain", text}, {"text/html", html}} {
		pw, err := alt.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ct + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		if err := writeQP(pw, p.body); err != nil {
			return err
		}
	}
	if err := alt.Close(); err != nil {
		return err
	}
	pw, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {mime.FormatMediaType("multipart/alternative",
		map[string]string{"boundary": alt.Boundary()})}})
	if err != nil {
		return err
	}
	_, err = io.WriteString(pw, b.String())
	return err
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, strings.ReplaceAll(s, "\r\n", "\n")); err != nil {
		return err
	}
	return qp.Close()
}

// writeBase64 writes r in base64 lines of 76 characters.
func writeBase64(w io.Writer, r io.Reader) error {
	buf := make([]byte, 57*64)
	line := make([]byte, 78)
	for {
		n, err := io.ReadFull(r, buf)
		for i := 0; i < n; i += 57 {
			j := min(i+57, n)
			m := base64.StdEncoding.EncodedLen(j - i)
			base64.StdEncoding.Encode(line, buf[i:j])
			line[m], line[m+1] = '\r', '\n'
			if _, werr := w.Write(line[:m+2]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Token returns a random URL-safe token of 32 hex characters.
func Token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
