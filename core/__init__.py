"""Chipin's domain: money, orders, the engine and the ports it talks to (standard library only)."""
