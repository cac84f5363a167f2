"""One module per object pair; each rule cites its rule-book ID."""
