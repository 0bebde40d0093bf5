"""One router module per resource; `signing/api/__init__.py` composes them."""
