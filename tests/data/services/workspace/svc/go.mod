module example.com/wsvc

go 1.22
