"""The shared signing service.

Owns the provincial demo PKI (root CA, issuing CA, OCSP responder, CRL and RFC 3161
timestamp authority), the key stores holding the persons' and the organisation's
signing keys (encrypted PKCS#12 files or a PKCS#11 token), signing credentials with
their PINs, lock counters and signature activation data, and the CSC API v1 server
(`/csc/v1/...`) that signs hashes for authorised credentials. It knows nothing about
the documents being signed: clients send hashes only.
"""
