"""Storage contract tests: every test runs on a SQLite file and on PostgreSQL."""
