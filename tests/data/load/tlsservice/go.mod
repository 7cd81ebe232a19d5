module tlsservice

go 1.24
