"""The ASGI listener: gateway webhooks, health and the REST API v1 (FastAPI on Starlette)."""
