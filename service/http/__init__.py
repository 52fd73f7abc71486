"""HTTP plumbing below the API: the problem+json body and the ASGI middlewares (limits, request log)."""
