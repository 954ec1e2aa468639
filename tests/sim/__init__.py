"""Deterministic simulation of the money path (after TigerBeetle's VOPR): one seed, one run."""
