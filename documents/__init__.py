"""Official documents of the province's units: incoming and outgoing registers with their yearly
number series (Decree 30/2020), the document workflow state machine, the content-addressed file
store, accent-insensitive search, edXML (QCVN 102:2016) exchange and the dashboard figures.
Sub-packages: `dossiers` (administrative procedure dossiers and their deadline engine) and
`minutes` (meeting minutes)."""
