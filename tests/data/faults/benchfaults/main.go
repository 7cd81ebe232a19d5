// Command benchfaults is a service-less module whose benchmarks misbehave on purpose (tests/faults).
package main

func main() {}

func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i
	}
	return s
}
