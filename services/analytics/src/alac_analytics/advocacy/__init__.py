"""The advocacy tracker: proposals, their results, and what motivated them."""
