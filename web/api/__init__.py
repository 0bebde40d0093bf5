"""The web layer's own routes under `web/api/routes/`, one module per resource: login, health, units, users
and the audit log."""
