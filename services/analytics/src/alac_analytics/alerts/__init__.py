"""Pattern alerts: unusual concentrations of complaints against their own baseline."""
