"""staff of a case."""
