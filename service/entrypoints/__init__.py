"""The ways in: the `deals` command line and the demo."""
