"""audit of a case."""
