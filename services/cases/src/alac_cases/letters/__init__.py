"""letters of support of a case."""
