"""actions of a case."""
