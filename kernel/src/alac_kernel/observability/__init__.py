"""Metrics, JSON logs and the correlation id that follows a complaint across services."""
