"""Short-lived signatures (itsdangerous): self-authenticating download URLs and browser session cookies.

The key is a random secret kept in the data dir (created once, readable only by the owner; an empty or short key
file is replaced), so every worker process and every restart of the same workspace agrees on it, and nothing
derived from it reveals a token.
Each purpose signs with its own salt, so a download signature can never be replayed as a session cookie.
A session cookie also carries a keyed fingerprint of the token that signed in: restarting the workspace with
another token (rotating it) invalidates every cookie issued for the old one, although the key stays the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from itsdangerous import BadData, Signer, URLSafeTimedSerializer

KEY_FILE_NAME = ".signing_key"
SALT_PREFIX = "local-workspace:"


# A shorter key (an empty or truncated file) would make signatures forgeable: it is replaced, never used.
KEY_BYTES = 32


@cache
def load_key(data_dir: Path) -> bytes:
    """The workspace's signing key, created on first use; every worker process of one data dir gets the same."""
    path = Path(data_dir) / KEY_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _read_key(path)
    if key is not None:  # a valid key is never replaced, so reading it without the lock is safe
        return key
    # Missing, empty or short: one worker at a time decides, and the others read what it wrote.
    lock = os.open(path.parent / (KEY_FILE_NAME + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = _read_key(path)
        if key is None:
            _write_key(path, secrets.token_bytes(KEY_BYTES))
            key = _read_key(path)
    finally:
        os.close(lock)  # releases the flock
    if key is None:
        raise RuntimeError(f"{path}: cannot keep a signing key of {KEY_BYTES} bytes there")
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    return key if len(key) >= KEY_BYTES else None


def _write_key(path: Path, key: bytes) -> None:
    # Written whole to a private temporary file (mode 600), then renamed over the old one: a reader sees the old
    # file or the complete new one, never part of a key; rename needs no hard links (unlike os.link).
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=KEY_FILE_NAME)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _serializer(key: bytes, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT_PREFIX + purpose, signer_kwargs={"digest_method": hashlib.sha256})


def _load(key: bytes, purpose: str, value: str | None, max_age: int) -> object | None:
    """The payload of a validly signed value younger than `max_age` seconds, else None."""
    if not value:
        return None
    try:
        return _serializer(key, purpose).loads(value, max_age=max_age)
    except (BadData, UnicodeError):
        return None


def token_fingerprint(key: bytes, token: str) -> str:
    """A keyed hash naming a token without revealing it (a plain hash of a short token could be brute-forced)."""
    signer = Signer(key, salt=SALT_PREFIX + "token-fingerprint", digest_method=hashlib.sha256)
    return signer.get_signature(token).decode()[:32]


SESSION_PURPOSE = "session"
SESSION_TTL_SECONDS = 12 * 3600


@dataclass(frozen=True)
class SessionClaims:
    user: str
    session_id: str
    token_fingerprint: str


def make_session_cookie(key: bytes, user: str, session_id: str = "", fingerprint: str = "") -> str:
    """An opaque, signed, timestamped cookie value; it never contains the token."""
    return _serializer(key, SESSION_PURPOSE).dumps({"u": user, "s": session_id, "t": fingerprint})


def read_session_cookie(key: bytes, value: str | None, max_age: int = SESSION_TTL_SECONDS) -> SessionClaims | None:
    """The claims of a validly signed, unexpired cookie, else None (revocation is checked by the caller)."""
    data = _load(key, SESSION_PURPOSE, value, max_age)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("u", "s", "t")):
        return None
    return SessionClaims(user=data["u"], session_id=data["s"], token_fingerprint=data["t"])


DOWNLOAD_PURPOSE = "model-version-download"
# Served by the registry extension; the middleware lets it through only with a valid signature.
SIGNED_DOWNLOAD_PATH = "/local-workspace/signed-download"
DOWNLOAD_TTL_SECONDS = 15 * 60


def sign_download(key: bytes, name: str, version: str, path: str) -> dict[str, str]:
    """Query parameters of a signed download URL for one model version file (valid for DOWNLOAD_TTL_SECONDS)."""
    signature = _serializer(key, DOWNLOAD_PURPOSE).dumps([name, version, path])
    return {"name": name, "version": version, "path": path, "signature": signature}


def verify_download(key: bytes, params: dict[str, str]) -> bool:
    """Whether `signature` is unexpired and was issued for exactly this name, version and path."""
    signed = _load(key, DOWNLOAD_PURPOSE, params.get("signature"), DOWNLOAD_TTL_SECONDS)
    return signed == [params.get("name"), params.get("version"), params.get("path")]


UC_FILE_PURPOSE = "uc-model-file"
# Presigned upload/download URLs of Unity Catalog model files (DEFAULT_STORAGE mode); the middleware lets them
# through only with a valid signature for the request's own method and path.
UC_FILE_URL_PATH = "/local-workspace/uc-model-file"
UC_FILE_TTL_SECONDS = 15 * 60


def sign_uc_file(key: bytes, method: str, path: str) -> dict[str, str]:
    """Query parameters of a presigned URL allowing `method` (PUT or GET) on one model file, for a short while."""
    return {"path": path, "signature": _serializer(key, UC_FILE_PURPOSE).dumps([method, path])}


def verify_uc_file(key: bytes, method: str, params: dict[str, str]) -> bool:
    """Whether `signature` is unexpired and was issued for exactly this method (HEAD counts as GET) and path."""
    signed = _load(key, UC_FILE_PURPOSE, params.get("signature"), UC_FILE_TTL_SECONDS)
    return signed == ["GET" if method == "HEAD" else method, params.get("path")]
