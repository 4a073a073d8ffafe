package webui

import "testing"

// TestReasonsWithOrderedArguments: a translation may reorder the
// arguments of its format.
func TestReasonsWithOrderedArguments(t *testing.T) {
	cat := catalog{"en": {"detail.post %d is not in topic %d": "post %d is not in topic %d"},
		"fr": {"detail.post %d is not in topic %d": "le sujet %[2]d ne contient pas le message %[1]d"}}
	s := &server{catalog: cat, details: compileDetails(cat)}
	if got, _ := s.translateDetail("fr", "post 12 is not in topic 3"); got != "le sujet 3 ne contient pas le message 12" {
		t.Errorf("reordered: %q", got)
	}
	if _, ok := s.translateDetail("fr", "post x is not in topic 3"); ok {
		t.Error("a number verb matched a word")
	}
}
