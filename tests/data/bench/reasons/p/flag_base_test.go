//go:build !regress

package p

// regress is false in the baseline build and true with -tags regress (the "candidate").
const regress = false
