module example.com/twelvefactor

go 1.22
