// Package pricing is the shared library both mains of this module use.
package pricing

import "strconv"

// Total adds the prices of the given SKUs ("sku-123" costs 123 cents) with a 7 % tax.
func Total(skus []string) int {
	sum := 0
	for _, s := range skus {
		if len(s) > 4 {
			if n, err := strconv.Atoi(s[4:]); err == nil {
				sum += n
			}
		}
	}
	return sum + sum*7/100
}
