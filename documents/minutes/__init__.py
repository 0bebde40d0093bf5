"""Meeting minutes (biên bản): the draft made from a meeting's record, the secretary's edits, the
Decree 30 PDF (Liberation Serif carried in `fonts/`), signing through the CSC signing service over
HTTP (secretary, then chair, then the organisation's seal with the number), registration as an
outgoing document, and validating any signed PDF against the province's root."""
