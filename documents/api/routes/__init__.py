"""One router module per resource of the documents area; `documents/api/__init__.py` composes them."""
