"""One module per finding code; ``registry.RULES`` is the table."""
