"""Intake: every channel a centre receives complaints through."""
