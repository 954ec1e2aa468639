"""In-memory fakes of the ports: the store, the clock and ids, a gateway, a signer, a notifier."""
