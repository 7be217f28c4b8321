"""Slugs: the readable, URL-safe form of a title, for library addresses and for the
names of downloaded files."""

from __future__ import annotations

import re
import unicodedata


def slugify(value: str, max_length: int = 70) -> str:
    """Lower-case ASCII letters and digits joined by hyphens, at most `max_length`
    characters; "entry" when nothing of the title is left."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "entry"
