//go:build go1.23

package main

import "iter"

// pullWork drives an iter.Pull coroutine so that Go 1.23+ traces hold
// GoSwitch events (coroutine switches).
func pullWork() {
	seq := func(yield func(int) bool) {
		for i := 0; i < 200; i++ {
			if !yield(i) {
				return
			}
		}
	}
	next, stop := iter.Pull(seq)
	defer stop()
	total := 0
	for {
		v, ok := next()
		if !ok {
			break
		}
		total += v
	}
	_ = total
}

func init() { extra = pullWork }
