module goperf.local/loadgen

go 1.22
