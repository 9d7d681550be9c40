"""Possible duplicates: same contact or nearly the same text within a period, flagged for
staff review and never merged."""
