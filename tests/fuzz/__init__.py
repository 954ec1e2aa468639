"""Hostile and bad input: schemathesis, parser fuzzing, webhooks, brute force, authorization."""
