"""One repository port per aggregate: what a storage transaction (core.ports.store.Tx) exposes."""
