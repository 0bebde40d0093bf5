"""Alerts: rules that turn camera, meeting, document and dossier signals into alerts; their lifecycle."""
