"""Why the province's CSC signing service refused a call. Sent as `reason` beside the CSC API's own
`error` and `error_description` (which stay as the standard says), recorded in the audit log, and read
by clients instead of the description's text, which is for people."""

from __future__ import annotations

from enum import StrEnum


class CSCReason(StrEnum):
    invalid_request = "invalid_request"  # a malformed call; the description names what is wrong
    bad_credentials = "bad_credentials"  # auth/login: wrong name or password (or a locked name)
    throttled = "throttled"  # auth/login: too many wrong logins from this address
    inactive = "inactive"  # auth/login: the account is disabled
    invalid_token = "invalid_token"  # missing, expired or revoked access token (or one of another audience)
    rate_limited = "rate_limited"
    unknown_credential = "unknown_credential"
    not_owner = "not_owner"  # the credential is someone else's
    disabled = "disabled"
    locked = "locked"  # the credential is locked after wrong PINs: an administrator unlocks it
    missing_pin = "missing_pin"
    no_hashes = "no_hashes"  # SCAL 2: authorisation must list the hashes
    wrong_pin = "wrong_pin"
    wrong_otp = "wrong_otp"
    wrong_pin_locked = "wrong_pin_locked"  # this wrong PIN was the last attempt: now locked
    wrong_otp_locked = "wrong_otp_locked"
    invalid_sad = "invalid_sad"  # unknown or already used
    sad_mismatch = "sad_mismatch"  # issued for another credential or person
    sad_expired = "sad_expired"
    hash_not_authorised = "hash_not_authorised"
    unavailable = "unavailable"  # the key store cannot be reached
