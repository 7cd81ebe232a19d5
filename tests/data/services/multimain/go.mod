module example.com/multimain

go 1.22
