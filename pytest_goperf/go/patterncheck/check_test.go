// Package goperfpatterncheck is built once as a test binary so that a
// -bench pattern can be checked by Go's own testing package (which splits it
// on unescaped '/' and '|' and compiles each element as an RE2 regexp)
// before anything of the user's is built.
package goperfpatterncheck

import "testing"

func BenchmarkGoperfPatternCheck(b *testing.B) {}
