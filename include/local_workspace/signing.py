"""Short-lived HMAC signatures: self-authenticating download URLs and browser session cookies.

The key is a random secret kept in the data dir (created once, readable only by the owner), so every worker
process and every restart of the same workspace agrees on it, and nothing derived from it reveals a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

KEY_FILE_NAME = ".signing_key"


@lru_cache(maxsize=None)
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


def _mac(key: bytes, purpose: str, message: str) -> str:
    # The purpose is part of the MAC so a download signature can never be replayed as a session cookie.
    return hmac.new(key, f"{purpose}\n{message}".encode(), hashlib.sha256).hexdigest()


def sign(key: bytes, purpose: str, message: str, ttl_seconds: int, now: float | None = None) -> tuple[int, str]:
    """Return (expires_epoch_seconds, signature) for `message`."""
    expires = int((now or time.time()) + ttl_seconds)
    return expires, _mac(key, purpose, f"{expires}\n{message}")


def verify(key: bytes, purpose: str, message: str, expires: str | int, signature: str,
           now: float | None = None) -> bool:
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < (now or time.time()):
        return False
    return hmac.compare_digest(_mac(key, purpose, f"{expires_at}\n{message}"), signature or "")


SESSION_PURPOSE = "session"


def make_session_cookie(key: bytes, user: str, ttl_seconds: int = 12 * 3600) -> str:
    """An opaque cookie value naming the user; it never contains the token."""
    user_b64 = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
    expires, sig = sign(key, SESSION_PURPOSE, user_b64, ttl_seconds)
    return f"{user_b64}.{expires}.{sig}"


def read_session_cookie(key: bytes, value: str | None) -> str | None:
    """The user named by a valid, unexpired session cookie, else None."""
    if not value or value.count(".") != 2:
        return None
    user_b64, expires, sig = value.split(".")
    if not verify(key, SESSION_PURPOSE, user_b64, expires, sig):
        return None
    try:
        return base64.urlsafe_b64decode(user_b64 + "=" * (-len(user_b64) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


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
