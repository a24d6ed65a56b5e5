"""Short-lived signatures (itsdangerous): self-authenticating download URLs and browser session cookies.

The key is a random secret kept in the data dir (created once, readable only by the owner), so every worker
process and every restart of the same workspace agrees on it, and nothing derived from it reveals a token.
A session cookie also carries a keyed fingerprint of the token that signed in: restarting the workspace with
another token (rotating it) invalidates every cookie issued for the old one, although the key stays the same.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

KEY_FILE_NAME = ".signing_key"


@cache
def load_key(data_dir: Path) -> bytes:
    path = Path(data_dir) / KEY_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, exactly one creates the key; the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_bytes()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"signing key file {path} is empty")
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def _signer(key: bytes, purpose: str) -> Signer:
    # The purpose is the salt, so a download signature can never be replayed as a session cookie.
    return Signer(key, salt=f"local-workspace:{purpose}", digest_method=hashlib.sha256)


def sign(key: bytes, purpose: str, message: str, ttl_seconds: int, now: float | None = None) -> tuple[int, str]:
    """Return (expires_epoch_seconds, signature) for `message`."""
    expires = int((now or time.time()) + ttl_seconds)
    return expires, _signer(key, purpose).get_signature(f"{expires}\n{message}").decode()


def verify(
    key: bytes, purpose: str, message: str, expires: str | int, signature: str, now: float | None = None
) -> bool:
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < (now or time.time()):
        return False
    try:
        return _signer(key, purpose).verify_signature(f"{expires_at}\n{message}", (signature or "").encode())
    except UnicodeEncodeError:
        return False


def token_fingerprint(key: bytes, token: str) -> str:
    """A keyed hash naming a token without revealing it (a plain hash of a short token could be brute-forced)."""
    return hmac.new(key, b"token-fingerprint\n" + token.encode(), hashlib.sha256).hexdigest()[:32]


SESSION_SALT = "local-workspace:session"
SESSION_TTL_SECONDS = 12 * 3600


@dataclass(frozen=True)
class SessionClaims:
    user: str
    session_id: str
    token_fingerprint: str


def _session_serializer(key: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SESSION_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def make_session_cookie(key: bytes, user: str, session_id: str = "", fingerprint: str = "") -> str:
    """An opaque, signed, timestamped cookie value; it never contains the token."""
    return _session_serializer(key).dumps({"u": user, "s": session_id, "t": fingerprint})


def read_session_cookie(key: bytes, value: str | None, max_age: int = SESSION_TTL_SECONDS) -> SessionClaims | None:
    """The claims of a validly signed, unexpired cookie, else None (revocation is checked by the caller)."""
    if not value:
        return None
    try:
        data = _session_serializer(key).loads(value, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("u", "s", "t")):
        return None
    return SessionClaims(user=data["u"], session_id=data["s"], token_fingerprint=data["t"])


DOWNLOAD_PURPOSE = "model-version-download"
# Served by the registry extension; the middleware lets it through only with a valid signature.
SIGNED_DOWNLOAD_PATH = "/local-workspace/signed-download"
DOWNLOAD_TTL_SECONDS = 15 * 60


def _download_message(name: str, version: str, path: str) -> str:
    return f"{name}\n{version}\n{path}"


def sign_download(key: bytes, name: str, version: str, path: str) -> dict[str, str]:
    """Query parameters of a signed download URL for one model version file."""
    expires, sig = sign(key, DOWNLOAD_PURPOSE, _download_message(name, version, path), DOWNLOAD_TTL_SECONDS)
    return {"name": name, "version": version, "path": path, "expires": str(expires), "signature": sig}


def verify_download(key: bytes, params: dict[str, str]) -> bool:
    message = _download_message(params.get("name", ""), params.get("version", ""), params.get("path", ""))
    return verify(key, DOWNLOAD_PURPOSE, message, params.get("expires", ""), params.get("signature", ""))
