module goperfpatterncheck

go 1.22
