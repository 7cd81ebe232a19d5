package library

// F exists so the package compiles: it is a library, not a command.
func F() int { return 1 }
