"""Tests of the ASGI listener (web/) over an in-memory engine."""
