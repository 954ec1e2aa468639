"""Chipin's trust layer: its own CA, head signing, key wrapping and sealed personal data."""
