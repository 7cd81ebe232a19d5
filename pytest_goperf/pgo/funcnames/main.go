// Command funcnames prints the name of every function a Go binary records
// in its PC/line table, one per line: the functions linked as code and the
// functions inlined into them.
//
// `go tool nm` lists only the first kind.  A function that the compiler
// inlined at every call site has no symbol of its own, yet it is still a
// function of the program: tracebacks and CPU profiles name it, so a PGO
// profile that mentions it is not stale.  The runtime finds those names in
// the pclntab's function name table (runtime.pcHeader.funcnameOffset), which
// holds the name of every function and of every inlined call's callee; this
// program reads that table.  Go 1.18 and later share the header layout.
//
// Usage: funcnames BINARY
package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: funcnames BINARY")
		os.Exit(2)
	}
	tab, err := pclntab(os.Args[1])
	if err == nil {
		err = printNames(tab)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "funcnames: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// pclntab returns the bytes of the binary's PC/line table.
func pclntab(path string) ([]byte, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} { // the second in PIE binaries
			if s := f.Section(name); s != nil {
				return s.Data()
			}
		}
		return nil, errors.New("no .gopclntab section: not a Go binary")
	}
	if f, err := macho.Open(path); err == nil {
		defer f.Close()
		if s := f.Section("__gopclntab"); s != nil {
			return s.Data()
		}
		return nil, errors.New("no __gopclntab section: not a Go binary")
	}
	if f, err := pe.Open(path); err == nil {
		defer f.Close()
		return pePclntab(f)
	}
	return nil, errors.New("not an ELF, Mach-O or PE executable")
}

// pePclntab finds the table between the runtime.pclntab and runtime.epclntab symbols.
func pePclntab(f *pe.File) ([]byte, error) {
	var start, end *pe.Symbol
	for _, s := range f.Symbols {
		switch s.Name {
		case "runtime.pclntab":
			start = s
		case "runtime.epclntab":
			end = s
		}
	}
	if start == nil || end == nil || start.SectionNumber != end.SectionNumber || start.SectionNumber < 1 ||
		int(start.SectionNumber) > len(f.Sections) || end.Value < start.Value {
		return nil, errors.New("no runtime.pclntab symbols: not a Go binary, or stripped")
	}
	data, err := f.Sections[start.SectionNumber-1].Data()
	if err != nil {
		return nil, err
	}
	if int(end.Value) > len(data) {
		return nil, errors.New("runtime.epclntab lies past its section")
	}
	return data[start.Value:end.Value], nil
}

// printNames writes each distinct name of the function name table.
func printNames(tab []byte) error {
	if len(tab) < 8 {
		return errors.New("pclntab too short")
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(tab) == 0xfffffff1 || binary.LittleEndian.Uint32(tab) == 0xfffffff0:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(tab) == 0xfffffff1 || binary.BigEndian.Uint32(tab) == 0xfffffff0:
		order = binary.BigEndian
	default:
		return fmt.Errorf("pclntab magic %#x: built by a Go older than 1.18", binary.LittleEndian.Uint32(tab))
	}
	ptr := int(tab[7])
	if ptr != 4 && ptr != 8 {
		return fmt.Errorf("pclntab pointer size %d", ptr)
	}
	word := func(i int) (int, error) {
		at := 8 + i*ptr
		if at+ptr > len(tab) {
			return 0, errors.New("pclntab header truncated")
		}
		if ptr == 4 {
			return int(order.Uint32(tab[at:])), nil
		}
		return int(order.Uint64(tab[at:])), nil
	}
	names, err := word(3) // funcnameOffset; the cutab follows the name table
	if err != nil {
		return err
	}
	cu, err := word(4)
	if err != nil {
		return err
	}
	if names < 0 || cu < names || cu > len(tab) {
		return fmt.Errorf("function name table [%d, %d) outside the pclntab (%d bytes)", names, cu, len(tab))
	}
	out := bufio.NewWriter(os.Stdout)
	seen := map[string]bool{}
	for _, name := range bytes.Split(tab[names:cu], []byte{0}) {
		if len(name) == 0 || seen[string(name)] {
			continue
		}
		seen[string(name)] = true
		out.Write(name)
		out.WriteByte('\n')
	}
	return out.Flush()
}
