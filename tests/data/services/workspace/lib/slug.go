// Package wlib lives in its own module; the service module uses it through
// the go.work workspace above both.
package wlib

import (
	"strings"
	"unicode"
)

// Slug lower-cases s and joins its words with '-'.
func Slug(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return strings.Join(words, "-")
}
