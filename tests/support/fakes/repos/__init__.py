"""One in-memory repository per aggregate, each the mirror of its SQL module in storage.repos."""
