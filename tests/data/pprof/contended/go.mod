module contended

go 1.22
