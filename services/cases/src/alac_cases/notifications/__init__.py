"""Notifications for staff: who is told what (rules), in the console and by e-mail."""
