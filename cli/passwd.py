"""Mosquitto's password file (``password_file``), written the way ``mosquitto_passwd`` does:
one ``name:$7$<iterations>$<salt>$<hash>`` line per identity (PBKDF2-HMAC-SHA512, Mosquitto
2.x's format), so no Mosquitto tool is needed where pitstop provisions cars.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

ITERATIONS = 101  # Mosquitto 2.x's default
SALT_BYTES = 12


def new_password() -> str:
    """A random password (128 bits, URL-safe: it may sit in a broker URL)."""
    return secrets.token_urlsafe(16)


def hash_line(name: str, password: str, salt: bytes | None = None) -> str:
    """The password file's line for ``name``."""
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    encode = base64.b64encode
    return f"{name}:$7${ITERATIONS}${encode(salt).decode()}${encode(digest).decode()}"


def ensure(path: Path) -> None:
    """An empty password file at ``path`` unless one is there (Mosquitto needs the file)."""
    if not path.exists():
        _write(path, [])


def set_line(path: Path, line: str) -> None:
    """Put ``line`` into the password file at ``path``, replacing that name's old line."""
    name = line.split(":", 1)[0]
    _write(path, [*_others(path, name), line])


def remove(path: Path, name: str) -> bool:
    """Take ``name`` out of the password file; whether it was there."""
    if not path.exists():
        return False
    lines = path.read_text().splitlines()
    kept = _others(path, name)
    _write(path, kept)
    return len(kept) != len(lines)


def _others(path: Path, name: str) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line.split(":", 1)[0] != name]


def _write(path: Path, lines: list[str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{line}\n" for line in lines))
