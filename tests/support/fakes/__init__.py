"""In-memory fakes of the ports: the store and its repositories, the clock, ids, a gateway, a
signer, a notifier and a passkey ceremony."""
