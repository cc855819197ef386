"""Court services."""
