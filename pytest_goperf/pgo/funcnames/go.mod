module goperffuncnames

go 1.22
