//go:build regress

package p

const regress = true
