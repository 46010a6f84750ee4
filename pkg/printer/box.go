package printer

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Box writes a table with +---+ borders, as Calico's ipam commands print them (go-pretty's
// default style): headings centred, cells that are numbers right-aligned, others left-aligned,
// one space of padding, a rule under the headings and around the table.
func Box(w io.Writer, headings []string, rows [][]string) error {
	widths := make([]int, len(headings))
	for i, h := range headings {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	var b strings.Builder
	rule := func() {
		b.WriteByte('+')
		for _, wd := range widths {
			b.WriteString(strings.Repeat("-", wd+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(cells []string, header bool) {
		b.WriteByte('|')
		for i, wd := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			pad := wd - utf8.RuneCountInString(c)
			var left int
			switch {
			case header:
				left = pad / 2
			case isNumber(c):
				left = pad
			}
			b.WriteString(" " + strings.Repeat(" ", left) + c + strings.Repeat(" ", pad-left) + " |")
		}
		b.WriteByte('\n')
	}
	rule()
	line(headings, true)
	rule()
	for _, r := range rows {
		line(r, false)
	}
	rule()
	_, err := io.WriteString(w, b.String())
	return err
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
