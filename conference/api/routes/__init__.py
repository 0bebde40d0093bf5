"""One router module per resource; `conference/api/__init__.py` composes them."""
