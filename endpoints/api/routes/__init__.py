"""One router module per resource; `endpoints/api/__init__.py` composes them."""
