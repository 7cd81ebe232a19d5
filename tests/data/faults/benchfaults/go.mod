module example.com/benchfaults

go 1.22
