"""W3C Bitstring Status List v1.0: the revocation list verifiers fetch, as pure functions.

A list is a bitstring of `LIST_SIZE` bits (the specification's minimum of 16 KiB, so one list hides each
certificate among many); bit i is the i-th bit counted from the most significant bit of the first byte. It is
published GZIP-compressed, base64url-encoded without padding, with the multibase prefix `u`.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from datetime import datetime
from typing import Any

LIST_SIZE = 131_072  # bits
FILL = LIST_SIZE // 2  # a list takes new certificates until half full, so a free random index is quick to find
VC_V2 = "https://www.w3.org/ns/credentials/v2"


def encode(revoked: Iterable[int], size: int = LIST_SIZE) -> str:
    """The `encodedList` of a list whose bits at these indexes are set."""
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode(encoded_list: str) -> bytes:
    """The bitstring of an `encodedList` (what a verifier does)."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    data = encoded_list[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(bitstring: bytes, index: int) -> bool:
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def timestamp(at: datetime) -> str:
    """XML Schema dateTime in UTC, to the second (`2026-12-05T21:30:00Z`)."""
    return at.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential(
    *, url: str, issuer: str, valid_from: datetime, revoked: Iterable[int], ttl_seconds: int
) -> dict[str, Any]:
    """The BitstringStatusListCredential of one list (purpose: revocation)."""
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": timestamp(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked),
            "ttl": ttl_seconds * 1000,
        },
    }


def entry(*, list_url: str, index: int) -> dict[str, Any]:
    """A certificate's `credentialStatus`: its bit in a list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
