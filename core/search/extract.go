package search

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// MaxExtract is the largest file whose text is extracted; MaxBody the
// most text kept per document.
const (
	MaxExtract = 32 << 20
	MaxBody    = 200_000
)

// Extractable reports whether the text of a file named name is indexed.
func Extractable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".markdown", ".csv", ".html", ".htm", ".pdf", ".docx", ".odt":
		return true
	}
	return false
}

// ExtractText returns the plain text of a file, chosen by its name's
// extension: plain text and Markdown as they are, HTML without tags, PDF
// through github.com/ledongthuc/pdf, DOCX and ODT from their XML parts.
func ExtractText(name string, r io.ReaderAt, size int64) (string, error) {
	if size > MaxExtract {
		return "", nil
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".markdown", ".csv":
		b, err := io.ReadAll(io.NewSectionReader(r, 0, size))
		return clip(strings.ToValidUTF8(string(b), " ")), err
	case ".html", ".htm":
		b, err := io.ReadAll(io.NewSectionReader(r, 0, size))
		return clip(StripHTML(string(b))), err
	case ".pdf":
		return pdfText(r, size)
	case ".docx":
		return zipXMLText(r, size, "word/document.xml", "p")
	case ".odt":
		return zipXMLText(r, size, "content.xml", "p", "h")
	}
	return "", nil
}

func pdfText(r io.ReaderAt, size int64) (s string, err error) {
	// The PDF reader panics on some malformed files: a file that cannot be
	// read is indexed by its name only.
	defer func() {
		if p := recover(); p != nil {
			s, err = "", errors.New("unreadable PDF")
		}
	}()
	rd, err := pdf.NewReader(r, size)
	if err != nil {
		return "", err
	}
	tr, err := rd.GetPlainText()
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(tr, MaxBody*4))
	return clip(strings.ToValidUTF8(string(b), " ")), err
}

// zipXMLText reads the character data of one XML part of an office file,
// with a space after each element named in breaks (paragraphs).
func zipXMLText(r io.ReaderAt, size int64, part string, breaks ...string) (string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", err
	}
	f, err := zr.Open(part)
	if err != nil {
		return "", err
	}
	defer f.Close()
	dec := xml.NewDecoder(io.LimitReader(f, MaxExtract))
	var b strings.Builder
	for b.Len() < MaxBody {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return clip(b.String()), err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			for _, br := range breaks {
				if t.Name.Local == br {
					b.WriteByte('\n')
				}
			}
		case xml.StartElement:
			if t.Name.Local == "tab" || t.Name.Local == "br" || t.Name.Local == "s" {
				b.WriteByte(' ')
			}
		}
	}
	return clip(b.String()), nil
}

var (
	tagRe    = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)\s*>|<!--.*?-->|<[^>]*>`)
	spacesRe = regexp.MustCompile(`[ \t\r\n\f]+`)
)

// StripHTML returns the text of an HTML fragment, tags removed and
// entities decoded.
func StripHTML(s string) string {
	s = tagRe.ReplaceAllString(s, " ")
	return strings.TrimSpace(spacesRe.ReplaceAllString(html.UnescapeString(s), " "))
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\x00", " ")
	if len(s) <= MaxBody {
		return s
	}
	s = s[:MaxBody]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// calendarText picks the searchable properties of an iCalendar or vCard
// object: its title (SUMMARY or FN) and the rest.
func calendarText(data string) (title, body string) {
	data = strings.ReplaceAll(data, "\r\n", "\n")
	data = strings.ReplaceAll(data, "\n ", "")
	data = strings.ReplaceAll(data, "\n\t", "")
	var rest []string
	for line := range strings.SplitSeq(data, "\n") {
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		name := strings.ToUpper(line[:colon])
		if i := strings.IndexByte(name, ';'); i >= 0 {
			name = name[:i]
		}
		if i := strings.LastIndexByte(name, '.'); i >= 0 { // vCard groups
			name = name[i+1:]
		}
		v := unescapeValue(line[colon+1:])
		switch name {
		case "SUMMARY", "FN":
			if title == "" {
				title = v
			}
		case "DESCRIPTION", "LOCATION", "CATEGORIES", "EMAIL", "TEL", "ORG", "TITLE", "NOTE", "NICKNAME", "ADR", "URL":
			if strings.TrimSpace(strings.ReplaceAll(v, ";", "")) != "" {
				rest = append(rest, strings.Trim(strings.ReplaceAll(v, ";", " "), " "))
			}
		}
	}
	return title, clip(strings.Join(rest, "\n"))
}

func unescapeValue(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
