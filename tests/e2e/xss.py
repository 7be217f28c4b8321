"""Stored-XSS tooling for the browser suite: the payloads, a probe that records every
script execution, CSP violation and dialog in a page, and a scan of the DOM for
markup that should never come out of user text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss_payloads.txt"
PROBE = "xssProbe"  # no underscores: Markdown would read "__x__" as emphasis

# The worst of tests/data/xss_payloads.txt: handlers that fire without a click,
# script and raw-text breakouts, namespace confusion, and javascript:/data: links in
# HTML and in Markdown. Each must be a line of the corpus; "alert" becomes the probe.
WORST_FROM_CORPUS = (
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#x00;javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://example.com"" onmouseover="alert(1)">x</a>',
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)">',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<video src=x onerror=alert(1)>",
    "<img src=1 onerror=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<textarea><img title="</textarea><img src=x onerror=alert(1)>"></textarea>',
    '<title><img title="</title><img src=x onerror=alert(1)>"></title>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '![x](x" onerror="alert(1))',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    '[x"onmouseover="alert(1)](https://a.b)',
    '[x](https://a.b "\\" onmouseover=\\"alert(1)")',
    "[r]: javascript:alert(1)",
    "example.com/?q=<img src=x onerror=alert(1)>",
)

# Short payloads aimed at attribute values (value="…", aria-label="…", data-confirm,
# <option>, <textarea>, <title>) for the one-line fields: titles, names, organizations.
ATTRIBUTE_PAYLOADS = (
    '"><img src=x onerror=xssProbe(1)>',
    "'><svg onload=xssProbe(2)>",
    '" onmouseover="xssProbe(3)" x="',
    "' onfocus='xssProbe(4)' autofocus x='",
    "</textarea><img src=x onerror=xssProbe(5)>",
    "</title><script>xssProbe(6)</script>",
    "</option></select><svg onload=xssProbe(7)>",
    "<script>xssProbe(8)</script>",
    "<details open ontoggle=xssProbe(9)>",
    "javascript:xssProbe(10)",
    "[x](javascript:xssProbe(11))",
    "“ onclick=xssProbe(12) ”",
)

# Markdown fields get these too: link tricks a Markdown renderer meets.
MARKDOWN_PAYLOADS = (
    "[click](javascript:xssProbe(20))",
    "[click](jav\tascript:xssProbe(21))",
    '[click](javascript:xssProbe(22) "title")',
    '<a href="javascript:xssProbe(23)">raw link</a>',
    "[a][ref]\n\n[ref]: javascript:xssProbe(24)",
    "**[bold](vbscript:xssProbe(25))**",
    "| a | <img src=x onerror=xssProbe(26)> |\n|---|---|\n| [c](javascript:xssProbe(27)) | d |",
)


def corpus_payloads() -> list[str]:
    lines = {
        line
        for line in CORPUS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    missing = [p for p in WORST_FROM_CORPUS if p not in lines]
    assert not missing, f"these payloads are no longer in {CORPUS.name}: {missing}"
    return [p.replace("alert", PROBE).replace("msgbox", PROBE) for p in WORST_FROM_CORPUS]


def markdown_payloads() -> list[str]:
    return [*corpus_payloads(), *MARKDOWN_PAYLOADS, *ATTRIBUTE_PAYLOADS]


def pack(payloads, max_length: int) -> list[str]:
    """Pack payloads into as few one-line values of at most max_length characters as fit."""
    values, current = [], ""
    for payload in payloads:
        assert len(payload) <= max_length, f"{payload!r} is longer than {max_length}"
        if current and len(current) + 1 + len(payload) > max_length:
            values.append(current)
            current = ""
        current = f"{current} {payload}" if current else payload
    return [*values, current] if current else values


# Runs in every frame before the page's own scripts.
_INIT_SCRIPT = f"""(() => {{
  const report = (kind, detail) => {{ try {{ window.__e2eReport(kind, String(detail)); }} catch (e) {{}} }};
  window.{PROBE} = (...args) => report('script', 'xssProbe(' + args.join(',') + ')');
  document.addEventListener('securitypolicyviolation',
    (e) => report('csp', `${{e.violatedDirective}} blocked ${{e.blockedURI || '(inline)'}} ${{e.sample || ''}}`), true);
}})();"""

# Markup that the sanitizer must never let through, wherever user text lands.
_DOM_SCAN = """() => {
  const bad = [], scheme = /^(javascript|vbscript|data|livescript):/i;
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc', 'background', 'poster'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\u0000-\\u0020]+/g, '');
      if (name.startsWith('on')) bad.push(`<${tag} ${name}=…>`);
      if (urlAttrs.includes(name) && scheme.test(value) && !(tag === 'img' && /^data:image\\//i.test(value)))
        bad.push(`<${tag} ${name}="${attr.value.slice(0, 60)}">`);
      if (name === 'style') bad.push(`<${tag} style=…>`);
    }
    if (['iframe', 'frame', 'object', 'embed', 'base', 'svg', 'math', 'video', 'audio', 'marquee'].includes(tag)
        || (['meta', 'link', 'style', 'title'].includes(tag) && !el.closest('head')))
      bad.push(`<${tag}> element`);
    if (tag === 'script' && (!el.src || new URL(el.src).origin !== location.origin || el.textContent.trim()))
      bad.push(`<script src="${el.getAttribute('src') || ''}"> with ${el.textContent.length} characters inline`);
  }
  return bad;
}"""


@dataclass
class Probe:
    """Everything suspicious that happened in the pages it watches."""

    events: list[str] = field(default_factory=list)

    def watch(self, context) -> None:
        context.expose_binding(
            "__e2eReport",
            lambda source, kind, detail: self.events.append(
                f"{kind}: {detail} (on {source['frame'].url})"
            ),
        )
        context.add_init_script(_INIT_SCRIPT)
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)

    def _watch_page(self, page) -> None:
        page.on(
            "dialog",
            lambda dialog: (
                self.events.append(f"dialog: {dialog.type} {dialog.message!r} (on {page.url})"),
                dialog.dismiss(),
            ),
        )
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page, message) -> None:
        if "Content Security Policy" in message.text:
            self.events.append(f"console: {message.text[:300]} (on {page.url})")

    def take(self) -> list[str]:
        events, self.events = self.events, []
        return events


def inspect(page) -> list[str]:
    """Let pending events arrive, then scan the DOM; returns what looks wrong."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 30)))")
    return page.evaluate(_DOM_SCAN)
