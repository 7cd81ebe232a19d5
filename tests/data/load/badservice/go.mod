module example.com/badservice

go 1.22
