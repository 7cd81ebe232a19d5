module example.com/dominant

go 1.22
