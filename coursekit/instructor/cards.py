"""Who gets in: one card (name + password) per learner, printed by the instructor; the
hub keeps only the passwords' scrypt hashes."""
from __future__ import annotations

import html
import secrets

_CARD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read off a paper card


def card_password(rng=secrets) -> str:
    """A password to read off a card: three groups of four, e.g. ``k7mp-x3qa-9fzt``."""
    return "-".join("".join(rng.choice(_CARD_ALPHABET) for _ in range(4)) for _ in range(3))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>``: what the hub's state keeps instead of the password."""
    import hashlib
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    import hmac
    try:
        kind, salt, _ = stored.split("$")
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


def cards_sheet(ws_id: str, url: str, cards: dict[str, str]) -> str:
    """A printable HTML sheet: one card per learner (address, name, password)."""
    cells = "".join(
        f'<div class="card"><div class="url">{html.escape(url)}</div>'
        f'<div>name <b>{html.escape(n)}</b></div><div>password <b>{html.escape(p)}</b></div>'
        f'<div class="note">yours alone: do not share it</div></div>' for n, p in cards.items())
    return (f"<!doctype html><meta charset='utf-8'><title>Workshop {ws_id}: learner cards</title>"
            "<style>body{font-family:sans-serif}.card{display:inline-block;width:30%;margin:4px;"
            "padding:10px;border:1px dashed #888;font-size:14px}.url{font-size:12px;color:#333}"
            ".note{font-size:11px;color:#666}</style>" + cells)
