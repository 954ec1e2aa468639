"""Persistence: SqlStore (core.ports.store.Store over SQLAlchemy Core), engines and migrations."""
