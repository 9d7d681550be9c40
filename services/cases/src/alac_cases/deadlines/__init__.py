"""deadlines of a case."""
