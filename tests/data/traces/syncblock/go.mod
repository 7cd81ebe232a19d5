module syncblock

go 1.22
