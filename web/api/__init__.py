"""The REST API v1: routes, their JSON shapes and API-key auth."""
