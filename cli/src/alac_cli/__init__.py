"""The `alac` command."""
