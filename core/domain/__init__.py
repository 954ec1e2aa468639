"""Chipin's domain: values and rules, synchronous and deterministic (standard library only)."""
