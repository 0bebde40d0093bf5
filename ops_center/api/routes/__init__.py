"""One router module per resource; `ops_center/api/__init__.py` composes them."""
