module example.com/configfile

go 1.22
