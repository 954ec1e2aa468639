"""Use cases after a gateway speaks: settlement, captures, refunds, closing and upkeep."""
