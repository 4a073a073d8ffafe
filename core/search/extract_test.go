package search

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

func TestExtractText(t *testing.T) {
	odt := func(text string) []byte {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		f, _ := z.Create("content.xml")
		f.Write([]byte(`<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h>Title</text:h><text:p>` + text + `</text:p></office:text></office:body></office:document-content>`))
		z.Close()
		return b.Bytes()
	}
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"a.txt", "plain words", []byte("plain words")},
		{"a.md", "# Head", []byte("# Head\ntext")},
		{"a.html", "Hello world & more", []byte("<html><head><style>p{}</style><script>var x</script></head><body><p>Hello <b>world</b> &amp; more</p></body></html>")},
		{"a.odt", "Title\nOpen document", odt("Open document")},
		{"a.bin", "", []byte("binary")},
		{"broken.pdf", "", []byte("%PDF-1.4 not really")},
		{"broken.docx", "", []byte("PK not a zip")},
	} {
		got, _ := ExtractText(c.name, bytes.NewReader(c.data), int64(len(c.data)))
		if !strings.HasPrefix(strings.TrimSpace(got), c.want) {
			t.Errorf("%s: %q, want prefix %q", c.name, got, c.want)
		}
		if strings.Contains(got, "var x") {
			t.Errorf("%s: script text indexed: %q", c.name, got)
		}
	}
}

func TestCalendarText(t *testing.T) {
	title, body := calendarText("BEGIN:VEVENT\r\nSUMMARY:Board\r\n  meeting\r\nLOCATION:Room 4\\, north\r\nDESCRIPTION:line one\\nline two\r\nEND:VEVENT\r\n")
	if title != "Board meeting" || !strings.Contains(body, "Room 4, north") || !strings.Contains(body, "line one\nline two") {
		t.Errorf("event: %q / %q", title, body)
	}
	title, body = calendarText("BEGIN:VCARD\nitem1.EMAIL;TYPE=work:jo@example.org\nFN:Jo Doe\nORG:Acme;Sales\nEND:VCARD\n")
	if title != "Jo Doe" || !strings.Contains(body, "jo@example.org") || !strings.Contains(body, "Acme Sales") {
		t.Errorf("card: %q / %q", title, body)
	}
}

func TestHighlight(t *testing.T) {
	got := highlight("The Quarterly report, quarterly figures", []string{"quarterly", "fig"}, -1)
	want := "The \x02Quarterly\x03 report, \x02quarterly\x03 \x02figures\x03"
	if got != want {
		t.Errorf("highlight %q, want %q", got, want)
	}
	long := strings.Repeat("filler ", 100) + "needle " + strings.Repeat("tail ", 100)
	got = highlight(long, []string{"needle"}, 20)
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || !strings.Contains(got, "\x02needle\x03") || len(strings.Fields(got)) > 24 {
		t.Errorf("window %q", got)
	}
	// "fig" is a whole word only when it is not the last term.
	if got := highlight("fig figures", []string{"fig", "x"}, -1); got != "\x02fig\x03 figures" {
		t.Errorf("non-prefix term %q", got)
	}
}
