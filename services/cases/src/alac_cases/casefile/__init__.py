"""The case file in one read: what the staff console's case page shows, in one request."""
