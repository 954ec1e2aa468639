"""Chipin's use cases: the async engine over the ports."""
