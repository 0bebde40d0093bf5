"""Shared ground for every area: settings, the database engine and migrations,
the province's units and people (roles, QCVN 102 unit codes), the hash-chained
audit log and the event bus interface. Imports no other giaoban package."""
