// Command worker is the module's other main: goperf must build cmd/api, not this.
package main

import (
	"fmt"

	"example.com/multimain/internal/pricing"
)

func main() {
	fmt.Println(pricing.Total([]string{"sku-100"}))
}
