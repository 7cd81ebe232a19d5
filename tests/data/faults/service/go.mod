module example.com/faultservice

go 1.22
