"""Credential PINs and the optional time-based one-time password (RFC 6238).

A PIN has little entropy, so no work factor would stop an offline search of a stolen database; what
stops it is the pepper: the PIN is keyed with the installation secret (kept outside the database)
before a salted PBKDF2. Online guessing is stopped by the lock after a few wrong PINs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time

_ITERATIONS = 20_000


def check_pin_format(pin: str) -> None:
    if not (6 <= len(pin) <= 32) or not pin.isprintable():
        raise ValueError("PIN phải dài 6–32 ký tự / the PIN must be 6 to 32 printable characters")


def _peppered(pin: str, pepper: str) -> bytes:
    return hmac.new(pepper.encode(), b"giaoban-signing-pin:" + pin.encode(), hashlib.sha256).digest()


def hash_pin(pin: str, pepper: str) -> str:
    check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", _peppered(pin, pepper), salt, _ITERATIONS)
    return f"hmac_pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_pin(stored: str, pin: str, pepper: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "hmac_pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", _peppered(pin, pepper), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def totp(secret: str, at: float | None = None, step: int = 30) -> str:
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def verify_totp(secret: str, otp: str) -> bool:
    # One step either side allows for clock drift between the person's device and the server.
    now = time.time()
    return any(hmac.compare_digest(totp(secret, now + drift), otp) for drift in (-30, 0, 30))
