package vcf_test

import (
	"testing"

	"plaza/core/calendar"
	"plaza/dav/carddav/vcf"
)

// FuzzVCard: parsing and version conversion never panic, refusals are
// violations (4xx), and a converted card parses again.
func FuzzVCard(f *testing.F) {
	for _, s := range []string{
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nN:A;;;;\r\nEMAIL;type=INTERNET;type=pref:a@b.c\r\nUID:a\r\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:B\r\nKIND:org\r\nEMAIL;PREF=1:b@c.d\r\nPHOTO:data:image/png;base64,AAAA\r\nUID:b\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nUID:x\r\nEND:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nitem1.ADR;TYPE=\"a,b\":;;x\r\nEND:VCARD",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := vcf.Codec{}.Parse(data)
		if err != nil {
			if _, ok := calendar.ViolationOf(err); !ok {
				t.Fatalf("a refusal must be a violation (4xx), got %v", err)
			}
			return
		}
		for _, v := range []string{"3.0", "4.0"} {
			out, err := vcf.Convert(data, v)
			if err != nil {
				continue
			}
			if _, err := vcf.Parse(out); err != nil {
				t.Fatalf("converted to %s does not parse: %v\n%q", v, err, out)
			}
		}
	})
}
