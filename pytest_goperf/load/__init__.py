"""Load against the service under test: the result model and the Go load generator's driver."""
