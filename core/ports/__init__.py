"""The ports the use cases talk to: storage, gateways, the clock, ids, the notifier."""
