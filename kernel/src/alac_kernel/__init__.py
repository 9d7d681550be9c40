"""ALAC platform shared kernel."""
