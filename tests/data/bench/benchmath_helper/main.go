// Command benchmath_helper answers statistics questions with benchstat's own
// library (golang.org/x/perf/benchmath), at full float precision, so the
// parity tests can compare more digits than benchstat prints.
//
// Input on stdin, one question per line:
//
//	orders N CONFIDENCE          -> "LO HI"  (median CI order statistics)
//	compare ALPHA OLD... | NEW... -> four lines: old summary, new summary, p, warnings
//
// Summaries are "center lo hi" in Go's shortest float format; warnings are
// joined with " ;; ".  Used only by tests/bench/test_parity.py.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"
)

func f(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func parse(fields []string) []float64 {
	var out []float64
	for _, s := range fields {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			panic(err)
		}
		out = append(out, v)
	}
	return out
}

func warns(ws []error) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Error())
	}
	return strings.Join(s, " ;; ")
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		fields := strings.Fields(in.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "orders":
			n, _ := strconv.Atoi(fields[1])
			conf, _ := strconv.ParseFloat(fields[2], 64)
			ci := stats.QuantileCI(n, 0.5, conf)
			fmt.Fprintf(out, "%d %d\n", ci.LoOrder, ci.HiOrder)
		case "compare":
			alpha, _ := strconv.ParseFloat(fields[1], 64)
			bar := 2
			for bar < len(fields) && fields[bar] != "|" {
				bar++
			}
			th := &benchmath.Thresholds{CompareAlpha: alpha}
			s1 := benchmath.NewSample(parse(fields[2:bar]), th)
			s2 := benchmath.NewSample(parse(fields[bar+1:]), th)
			a := benchmath.AssumeNothing
			for _, s := range []*benchmath.Sample{s1, s2} {
				sum := a.Summary(s, 0.95)
				fmt.Fprintf(out, "%s %s %s ;; %s\n", f(sum.Center), f(sum.Lo), f(sum.Hi), warns(sum.Warnings))
			}
			c := a.Compare(s1, s2)
			fmt.Fprintf(out, "%s\n%s\n", f(c.P), warns(c.Warnings))
		}
	}
}
