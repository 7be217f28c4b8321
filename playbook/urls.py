"""Checks on URLs that come from the request."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, otherwise None. Protocol-relative
    URLs, backslashes, schemes, hosts and control characters are all refused."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 33 or ch == "\\" or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
