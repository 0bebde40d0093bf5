"""The web layer's own routes (login, administration, health) under `web/api/routes/`."""
