package wiki

import "strings"

// Op says how a line of a diff changed.
type Op string

const (
	Same    Op = " "
	Added   Op = "+"
	Removed Op = "-"
)

// Line is one line of a diff.
type Line struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// maxDiffCells bounds the work of DiffLines; larger texts compare as a
// whole replacement after their common head and tail.
const maxDiffCells = 4_000_000

// DiffLines returns the line diff turning a into b (longest common
// subsequence, common head and tail trimmed first).
func DiffLines(a, b string) []Line {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	var head, tail []Line
	for len(x) > 0 && len(y) > 0 && x[0] == y[0] {
		head = append(head, Line{Same, x[0]})
		x, y = x[1:], y[1:]
	}
	for len(x) > 0 && len(y) > 0 && x[len(x)-1] == y[len(y)-1] {
		tail = append([]Line{{Same, x[len(x)-1]}}, tail...)
		x, y = x[:len(x)-1], y[:len(y)-1]
	}
	out := head
	if len(x)*len(y) > maxDiffCells {
		for _, l := range x {
			out = append(out, Line{Removed, l})
		}
		for _, l := range y {
			out = append(out, Line{Added, l})
		}
		return append(out, tail...)
	}
	// lcs[i][j]: length of the LCS of x[i:] and y[j:].
	w := len(y) + 1
	lcs := make([]int32, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, Line{Same, x[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, Line{Removed, x[i]})
			i++
		default:
			out = append(out, Line{Added, y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, Line{Removed, x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, Line{Added, y[j]})
	}
	return append(out, tail...)
}
