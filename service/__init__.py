"""The deal-tracking service: the event-sourced application, its HTTP API, projections, webhooks and CLI."""

__version__ = "0.1.0"
