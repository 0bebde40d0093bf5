"""signatures/signHash: sign authorised hashes with the credential's key, one audit entry each."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.orm import Session

from core.protocols.csc import CSCReason
from signing.algorithms import DIGESTS, KEY_TYPE_OIDS, SIGNATURE_ALGORITHMS
from signing.authorization import decode_hashes, take_activation
from signing.caller import Caller, audit, usable_credential
from signing.errors import CSCError, bad_request
from signing.keystore import KeyStoreError, key_kind
from signing.store_registry import KeyStores


def _digest_oid(credential_kind: str, sign_algo: str, hash_algo: str | None) -> str:
    algorithm = SIGNATURE_ALGORITHMS.get(sign_algo)
    if algorithm is not None:
        if algorithm.key_kind != credential_kind:
            raise bad_request(f"signAlgo {sign_algo} does not fit this credential's {credential_kind.upper()} key")
        if hash_algo and hash_algo != algorithm.digest_oid:
            raise bad_request(f"hashAlgo {hash_algo} does not match signAlgo {sign_algo}")
        return algorithm.digest_oid
    if KEY_TYPE_OIDS.get(sign_algo) == credential_kind:
        if hash_algo not in DIGESTS:
            raise bad_request("hashAlgo is required with this signAlgo and must be SHA-256, SHA-384 or SHA-512")
        return hash_algo
    raise bad_request(f"Unsupported signAlgo {sign_algo!r}; see key.algo in credentials/info")


def sign_hash(session: Session, settings: Any, stores: KeyStores, caller: Caller, body: dict[str, Any],
              multisign: int) -> dict[str, Any]:
    credential = usable_credential(session, caller, str(body.get("credentialID") or ""))
    hashes = body.get("hash")
    if not isinstance(hashes, list) or not hashes or not all(isinstance(h, str) for h in hashes):
        raise bad_request("'hash' must be a non-empty list of base64 hashes")
    if len(hashes) > multisign:
        raise bad_request(f"at most {multisign} hashes per signHash call (multisign)")
    sign_algo = body.get("signAlgo")
    if not isinstance(sign_algo, str):
        raise bad_request("Missing signAlgo")
    hash_algo = body.get("hashAlgo")
    if hash_algo is not None and not isinstance(hash_algo, str):
        raise bad_request("hashAlgo must be an OID string")
    digest_oid = _digest_oid(key_kind(credential.key_spec), sign_algo, hash_algo)
    digests = decode_hashes(hashes)
    size = DIGESTS[digest_oid].digest_size
    if any(len(d) != size for d in digests):
        raise bad_request(f"every hash must be {size} bytes for this hashAlgo")
    take_activation(session, caller, credential, str(body.get("SAD") or ""), digests, hashes)
    store = stores.get(credential.store)
    try:
        signatures = [store.sign_digest(credential.key_ref, credential.key_spec, digest_oid, d) for d in digests]
    except KeyStoreError as exc:
        raise CSCError(503, "temporarily_unavailable", f"key store unavailable: {exc}",
                       reason=CSCReason.unavailable) from exc
    for value in hashes:
        audit(session, settings, caller, "signing.signature", credential=credential.id, hash=value,
              hash_algo=digest_oid, sign_algo=sign_algo, serial=credential.cert_serial)
    return {"signatures": [base64.b64encode(s).decode() for s in signatures]}
