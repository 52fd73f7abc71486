"""API keys and scopes (who may call what), and encryption at rest."""
