package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// highlight marks the words of text that match terms (the last term also
// as a prefix). With window > 0 it returns about window words around the
// first match (or the start), with "…" where text was cut.
func highlight(text string, terms []string, window int) string {
	type word struct{ start, end int }
	var words []word
	in := false
	for i, r := range text {
		isWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case isWord && !in:
			words = append(words, word{start: i})
			in = true
		case !isWord && in:
			words[len(words)-1].end = i
			in = false
		}
	}
	if in {
		words[len(words)-1].end = len(text)
	}
	matches := func(w string) bool {
		w = strings.ToLower(w)
		for i, t := range terms {
			if w == t || (i == len(terms)-1 && strings.HasPrefix(w, t)) {
				return true
			}
		}
		return false
	}
	from, to := 0, len(words)
	if window > 0 && len(words) > window {
		first := 0
		for i, w := range words {
			if matches(text[w.start:w.end]) {
				first = i
				break
			}
		}
		from = max(0, first-window/4)
		to = min(len(words), from+window)
	}
	if len(words) == 0 {
		if window > 0 && utf8.RuneCountInString(text) > 200 {
			return string([]rune(text)[:200]) + "…"
		}
		return text
	}
	var b strings.Builder
	start := 0
	if from > 0 {
		b.WriteString("…")
		start = words[from].start
	}
	for _, w := range words[from:to] {
		b.WriteString(text[start:w.start])
		if matches(text[w.start:w.end]) {
			b.WriteString(MarkStart + text[w.start:w.end] + MarkEnd)
		} else {
			b.WriteString(text[w.start:w.end])
		}
		start = w.end
	}
	if to < len(words) {
		b.WriteString("…")
	} else {
		b.WriteString(text[start:])
	}
	return strings.TrimSpace(b.String())
}
