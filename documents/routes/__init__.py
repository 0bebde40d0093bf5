"""HTTP routes of the document registers: the REST API under /api/documents and the pages under
/documents. Each module holds one concern; documents/api.py composes them."""
