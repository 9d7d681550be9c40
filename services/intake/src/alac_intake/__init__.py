"""Intake: every channel a centre receives complaints through."""

#: The service's name: its events' source (`/alac/intake`), its database and its runtime.
SERVICE = "intake"
