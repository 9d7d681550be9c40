"""Complaint counts by status, channel and area (GET /v1/stats/summary)."""
