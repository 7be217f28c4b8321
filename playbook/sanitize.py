"""The one place user text becomes HTML: Markdown rendering, then bleach's allow-list.

This is the only module that imports bleach, so swapping the cleaner touches one file."""

from __future__ import annotations

from functools import partial
from html import unescape

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")

# Raw HTML in Markdown is escaped by the renderer, then whatever HTML the renderer
# produced is cleaned again: two independent layers.
_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False})
    .enable("table")
    .enable("strikethrough")
)


def _href_is_safe(href: str) -> bool:
    """True for http(s)/mailto URLs and for relative URLs with no colon anywhere.

    bleach's protocol check lets through "java%0Ascript:x" and "&#x00;javascript:x" as
    relative paths (not valid relative URLs, and one decoding away from a scheme), and the
    linkifier runs after that check and links ftp:, data:, irc: and a dozen other schemes."""
    url = "".join(ch for ch in unescape(href) if ch.isprintable() and not ch.isspace()).lower()
    return url.startswith(SAFE_URL_PREFIXES) or ":" not in url


def _set_rel(attrs, new=False):
    """Linkify callback, run on every <a>: enforce the href rule, then set rel."""
    href = attrs.get((None, "href"), "")
    if href and not _href_is_safe(href):
        if new:
            return None  # leave the text unlinked
        del attrs[(None, "href")]
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def clean_html(html: str) -> str:
    """Reduce arbitrary HTML to the allow-list; links get rel="nofollow noopener"."""
    return _cleaner.clean(html or "")


def render_markdown(text: str) -> str:
    """Markdown to safe HTML. Store the result in a `*_html` column on write."""
    # Headings inside user text start at h2: the page owns its h1.
    html = _markdown.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return clean_html(html)


_text_cleaner = bleach.Cleaner(tags=set(), attributes={}, strip=True, strip_comments=True)


def plain_text(text: str) -> str:
    """Markdown reduced to its words (for search snippets): no markup, no entities."""
    return " ".join(unescape(_text_cleaner.clean(_markdown.render(text or ""))).split())


HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"


def highlight(text: str) -> Markup:
    """Escape text whose matched words are wrapped in the marker characters,
    then turn only the markers into <mark> tags."""
    # Markup.replace escapes a plain str argument and keeps a Markup one as it is, so
    # only the two literal tags below become markup.
    return (
        escape(text or "")
        .replace(HIGHLIGHT_START, Markup("<mark>"))
        .replace(HIGHLIGHT_END, Markup("</mark>"))
    )


def safe_html(html: str | None) -> Markup:
    """Mark a stored `*_html` column as safe for templates. Those columns are written
    only by services, from render_markdown(); nothing else may reach this filter."""
    return Markup(html or "")  # nosec B704 - only *_html columns, cleaned by render_markdown() on write
