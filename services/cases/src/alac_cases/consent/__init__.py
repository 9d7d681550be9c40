"""consent of a case."""
