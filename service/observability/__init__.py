"""Observability: request ids and JSON logs, Prometheus metrics, liveness and readiness."""
