"""Administrative dossiers (hồ sơ thủ tục hành chính): the procedure catalog, receipt at the one-stop
desk or online, dossier codes, the national portal's status codes 1-10 as a state machine with role
checks, the deadline engine over the civil-service working calendar (data in `data/calendar.json`),
statistics in the province's report format, the ops-dashboard KPIs and the seed-volume generator."""
