"""One router module per resource of the web layer; `web/app.py` mounts them."""
