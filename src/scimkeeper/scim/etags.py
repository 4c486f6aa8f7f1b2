"""Resource versions as entity tags (RFC 7644 §3.14, RFC 9110 §8.8.3): weak tags over a version counter."""

from __future__ import annotations


def etag(version: int) -> str:
    return f'W/"{version}"'


def matches(header: str, version: int) -> bool:
    """Whether an If-Match / If-None-Match list names this version (weak comparison; `*` names any)."""
    wanted = f'"{version}"'
    tags = (tag.strip() for tag in header.split(","))
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in tags)
