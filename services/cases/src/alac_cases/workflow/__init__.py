"""workflow of a case."""
