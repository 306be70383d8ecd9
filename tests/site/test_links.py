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


def test_launch_buttons_open_a_notebook_the_learners_home_has():
    """The JupyterHub launch button of every notebook page points at a notebook the
    workshop's learner image puts in each home (notebooks/, exercises/ without the
    solutions): never an nbgitpuller link, which the workshop hub answers with 404."""
    import re
    root = SITE.parents[1]
    found = 0
    for page in SITE.rglob("*.html"):
        text = page.read_text(errors="replace")
        assert "/hub/user-redirect/git-pull" not in text, f"{page}: an nbgitpuller launch link"
        for path in re.findall(r'href="[^"]*/hub/user-redirect/lab/tree/([^"?]+)"', text):
            assert not path.startswith("exercises/solutions/"), f"{page}: solutions are not in the home"
            assert (root / unquote(path)).is_file(), f"{page}: launches {path}, which does not exist"
            found += 1
    assert found >= 19, f"only {found} launch links (every lesson and exercise page has one)"
