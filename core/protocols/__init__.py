"""Wire contracts shared by a server and its clients in other packages: each is public and versioned, so
that a client speaks it like any third-party client would, without importing the server's package
(`signaling`: the meeting protocol; `csc`: the signing service's refusal reasons). Where several packages
need a client of one, it is here too, once (`csc_client`: the minutes, the signing bench and tests)."""
