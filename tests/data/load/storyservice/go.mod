module example.com/storyservice

go 1.22
