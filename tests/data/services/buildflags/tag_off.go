//go:build !goperf_demo

package main

const tagged = false
