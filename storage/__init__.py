"""Persistence: SqlStore (core.ports.Store over SQLAlchemy Core), engines and migrations."""
