"""Views kept up to date from the event log, each with its position tracked in the same transaction."""
