"""Every internal link and asset reference in the built book resolves: the file
exists, and a #fragment names an id on the target page."""
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SITE = Path(__file__).resolve().parents[2] / "_build" / "html"


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key])


def _parse(path: Path) -> _Collect:
    c = _Collect()
    c.feed(path.read_text(errors="replace"))
    return c


def test_internal_links_resolve():
    if not (SITE / "index.html").exists():
        pytest.fail("no built site: run `make book` first")
    # Pages only: _static/ holds the theme's template macros, not pages.
    pages = {p: _parse(p) for p in SITE.rglob("*.html") if "_static" not in p.parts}
    broken, checked = [], 0
    for page, info in pages.items():
        for ref in info.refs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)} -> {ref}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(SITE)} -> {ref} (no such anchor)")
    assert checked > 100
    assert not broken, "\n".join(broken[:30])
