"""Wire contracts shared by a server and its clients in other packages: each is public and versioned, so
that a client speaks it like any third-party client would, without importing the server's package."""
