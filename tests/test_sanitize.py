"""sanitize.py: every known XSS payload comes out inert, intended Markdown survives,
and templates reach raw HTML only through the two sanctioned filters."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from playbook import sanitize
from playbook.sanitize import clean_html, highlight, render_markdown, safe_html

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "data" / "xss_payloads.txt"

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "meta",
    "base",
    "link",
    "form",
    "input",
    "img",
}
SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")


def _load_corpus() -> list[tuple[str, str]]:
    """(family, payload) pairs; a "#" line names the family of the lines after it."""
    family, payloads = "unnamed", []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            family = line.lstrip("# ").strip() or family
        elif line.strip():
            payloads.append((family, line))
    return payloads


CORPUS_PAYLOADS = _load_corpus()

# Payloads that a one-line file cannot hold: real control characters and newlines.
CONTROL_CHAR_PAYLOADS = [
    f'<a href="{prefix}">x</a>'
    for prefix in (
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java\rscript:alert(1)",
        "java\x00script:alert(1)",
        "\x01javascript:alert(1)",
        "\x0bjavascript:alert(1)",
        "\x0cjavascript:alert(1)",
        " \x7fjavascript:alert(1)",
        "\u2028javascript:alert(1)",
    )
] + [
    "[x](java\tscript:alert(1))",
    "[x](java\x00script:alert(1))",
    "[x](\x01javascript:alert(1))",
    "<scr\x00ipt>alert(1)</script>",
    "<img src=x onerror\x00=alert(1)>",
    "<img\tsrc=x\nonerror=alert(1)>",
    "<a\x0chref=javascript:alert(1)>x</a>",
]
MULTILINE_PAYLOADS = [
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x]\n\n[x]: JaVaScRiPt:alert(1)",
    '[x][r]\n\n[r]: <javascript:alert(1)> "t"',
    "![x][i]\n\n[i]: javascript:alert(1)",
    "[x][r]\n\n[r]: data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '[x][r]\n\n[r]: https://a.b "onmouseover=alert(1)"',
    "[x][r]\n\n[r]: https://a.b\n  '\" onmouseover=\"alert(1)'",
    "[x](java\nscript:alert(1))",
    "[x](\njavascript:alert(1))",
    "<div>\n<script>alert(1)</script>\n</div>",
    "<script>\nalert(1)\n</script>",
    "<div onmouseover=alert(1)>\n\n*x*\n\n</div>",
    "```html\n<script>alert(1)</script>\n```",
    "<svg onload=alert(1)>\n===",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "- a\n  <iframe src=javascript:alert(1)>\n- b",
    '<a href="java\nscript:alert(1)">x</a>',
    "<math>\n<mtext>\n<table><mglyph><style><img src=x onerror=alert(1)>",
]

ALL_PAYLOADS = (
    [pytest.param(p, id=f"corpus-{i:03d}") for i, (_, p) in enumerate(CORPUS_PAYLOADS)]
    + [pytest.param(p, id=f"control-{i:02d}") for i, p in enumerate(CONTROL_CHAR_PAYLOADS)]
    + [pytest.param(p, id=f"multiline-{i:02d}") for i, p in enumerate(MULTILINE_PAYLOADS)]
)


class _Elements(HTMLParser):
    """Collects every start tag with its attributes (entities decoded, as a browser would),
    every end tag, and anything that is not an element or text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.ends: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, attrs))

    def handle_endtag(self, tag):
        self.ends.append(tag)

    def handle_comment(self, data):
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.other.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.other.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.other.append(f"<?{data}>")


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def _normalised_url(value: str) -> str:
    # Browsers drop tabs and newlines anywhere in a URL and trim other control
    # characters and spaces; dropping all of them everywhere is stricter still.
    return "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()


def assert_inert(html: str) -> None:
    """The HTML holds only allow-listed tags, no script-bearing attribute, no unsafe URL,
    and every link carries rel="nofollow noopener"."""
    parsed = _parse(html)
    assert not parsed.other, f"comment/declaration survived: {parsed.other}"
    for tag, attrs in parsed.starts:
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> survived in {html!r}"
        assert tag in sanitize.ALLOWED_TAGS, f"<{tag}> is not on the allow-list: {html!r}"
        names = [name for name, _ in attrs]
        assert not [n for n in names if n.startswith("on")], f"event handler on <{tag}>: {html!r}"
        assert "style" not in names, f"style attribute on <{tag}>: {html!r}"
        for name, value in attrs:
            if name in {"href", "src", "action", "formaction", "xlink:href", "background", "cite"}:
                url = _normalised_url(value or "")
                assert url.startswith(SAFE_URL_PREFIXES) or ":" not in url, (
                    f"unsafe {name}={value!r} on <{tag}>: {html!r}"
                )
        if tag == "a":
            rel = (dict(attrs).get("rel") or "").split()
            assert {"nofollow", "noopener"} <= set(rel), f"<a> without rel: {html!r}"
    for tag in parsed.ends:
        assert tag in sanitize.ALLOWED_TAGS, f"</{tag}> is not on the allow-list: {html!r}"
    # Parser-independent check: text "<" is always escaped, so every raw "<" must open
    # or close an allow-listed tag. This catches output a browser might read differently.
    for match in re.finditer(r"<", html):
        tag = re.match(r"</?([a-zA-Z][a-zA-Z0-9]*)[\s/>]", html[match.start() :])
        assert tag and tag.group(1).lower() in sanitize.ALLOWED_TAGS, (
            f"raw '<' that is not an allow-listed tag at {match.start()}: {html!r}"
        )


def test_corpus_is_large_and_covers_every_family():
    families = {family for family, _ in CORPUS_PAYLOADS}
    assert len(CORPUS_PAYLOADS) >= 120
    assert len(families) >= 15
    assert all("\n" not in payload for _, payload in CORPUS_PAYLOADS)


@pytest.mark.parametrize("payload", ALL_PAYLOADS)
def test_markdown_renders_payload_inert(payload):
    assert_inert(render_markdown(payload))


@pytest.mark.parametrize("payload", ALL_PAYLOADS)
def test_cleaner_reduces_payload_to_inert_html(payload):
    assert_inert(clean_html(payload))


@pytest.mark.parametrize("payload", ALL_PAYLOADS)
def test_cleaning_rendered_markdown_again_changes_nothing(payload):
    # Stored *_html is stable: running the cleaner over it again is a no-op.
    once = render_markdown(payload)
    assert clean_html(once) == once


def test_the_checker_itself_catches_unsafe_html():
    for unsafe in (
        "<img src=x onerror=alert(1)>",
        '<a href="java&#9;script:alert(1)" rel="nofollow noopener">x</a>',
        '<a href="https://a.b">x</a>',
        '<p style="x">x</p>',
        '<p onclick="x">x</p>',
        "<!-- x -->",
        "<p>x</p><svg>",
        '<a href="ftp://a.b" rel="nofollow noopener">x</a>',
    ):
        with pytest.raises(AssertionError):
            assert_inert(unsafe)


# Intended behaviour


def test_top_level_heading_becomes_h2_because_the_page_owns_h1():
    html = render_markdown("# Title\n\n## Sub\n\n### Third")
    assert "<h1>" not in html
    assert "<h2>Title</h2>" in html
    assert "<h2>Sub</h2>" in html
    assert "<h3>Third</h3>" in html


def test_lists_emphasis_code_and_quotes_survive():
    html = render_markdown(
        "- one\n- two\n\n1. first\n\n*em* **strong** `code()`\n\n> quoted\n\n---\n\n```\nx < y\n```"
    )
    for fragment in (
        "<ul>",
        "<li>one</li>",
        "<ol>",
        "<li>first</li>",
        "<em>em</em>",
        "<strong>strong</strong>",
        "<code>code()</code>",
        "<blockquote>",
        "<hr>",
        "<pre><code>x &lt; y\n</code></pre>",
    ):
        assert fragment in html


def test_tables_survive():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    for fragment in ("<table>", "<thead>", "<th>a</th>", "<tbody>", "<td>2</td>"):
        assert fragment in html


def test_plain_https_url_is_linkified_with_rel():
    html = render_markdown("See https://example.com/guide for more.")
    assert (
        '<a href="https://example.com/guide" rel="nofollow noopener">https://example.com/guide</a>'
        in html
    )


def test_markdown_link_gets_rel_and_keeps_title():
    html = render_markdown('[guide](https://example.com/g "The guide")')
    assert (
        '<a href="https://example.com/g" title="The guide" rel="nofollow noopener">guide</a>'
        in html
    )


def test_urls_inside_code_are_not_linkified():
    html = render_markdown("`https://example.com`\n\n```\nhttps://example.com\n```")
    assert "<a " not in html


def test_bare_url_with_another_scheme_stays_plain_text():
    assert render_markdown("ftp://example.com/file") == "<p>ftp://example.com/file</p>\n"


def test_every_link_gets_our_rel_even_without_href_or_with_its_own():
    assert (
        clean_html('<a href="javascript:alert(1)" title="t">x</a>')
        == '<a title="t" rel="nofollow noopener">x</a>'
    )
    assert (
        clean_html('<a href="https://a.b" rel="opener">x</a>')
        == '<a href="https://a.b" rel="nofollow noopener">x</a>'
    )


def test_mailto_link_survives():
    html = render_markdown("[write](mailto:team@example.com)")
    assert '<a href="mailto:team@example.com" rel="nofollow noopener">write</a>' in html


@pytest.mark.parametrize("text", ["[x](javascript:alert(1))", "<script>alert(1)</script>"])
def test_dangerous_input_is_shown_as_text_not_dropped(text):
    html = render_markdown(text)
    assert "alert(1)" in html
    assert "<script" not in html


def test_empty_input_renders_empty():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
    assert clean_html(None) == ""


def test_highlight_escapes_everything_but_the_markers():
    assert highlight("<b>\x02x\x03</b>") == "&lt;b&gt;<mark>x</mark>&lt;/b&gt;"


def test_highlight_escapes_quotes_and_ampersands_and_returns_markup():
    result = highlight("\x02\"a\" & 'b'\x03 <script>")
    assert isinstance(result, Markup)
    assert result == "<mark>&#34;a&#34; &amp; &#39;b&#39;</mark> &lt;script&gt;"
    assert highlight(None) == ""


def test_safe_html_returns_markup():
    result = safe_html("<p>x</p>")
    assert isinstance(result, Markup)
    assert result == "<p>x</p>"
    assert safe_html(None) == Markup("")


# Guards on how the rest of the code base reaches raw HTML

_SAFE_FILTER = re.compile(r"\|\s*safe\w*")
_VALUE_BEFORE = re.compile(r"([\w.]+)\s*$")


def test_templates_mark_html_safe_only_through_safe_html_on_html_columns():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if "Markup(" in text:
            problems.append(f"{where}: Markup(")
        if re.search(r"autoescape\s+false", text, re.IGNORECASE):
            problems.append(f"{where}: autoescape false")
        for match in _SAFE_FILTER.finditer(text):
            if match.group(0).replace(" ", "") != "|safe_html":
                problems.append(f"{where}: {match.group(0)}")
        for match in re.finditer(r"\|\s*safe_html\b", text):
            value = _VALUE_BEFORE.search(text[: match.start()])
            target = value.group(1) if value else ""
            if not target.split(".")[-1].endswith("_html"):
                problems.append(f"{where}: |safe_html on {target or 'an expression'}")
    assert not problems, "templates bypass escaping: " + "; ".join(problems)


def test_only_sanitize_imports_bleach():
    importers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "playbook").rglob("*.py"))
        if re.search(
            r"^\s*(import\s+bleach|from\s+bleach)\b", path.read_text(encoding="utf-8"), re.MULTILINE
        )
    ]
    assert importers == ["playbook/sanitize.py"]
