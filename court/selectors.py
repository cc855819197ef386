"""Court selectors."""
