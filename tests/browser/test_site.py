"""The published book, served on localhost and opened in Chromium with the network
cut off: every page in the table of contents loads without console errors, failed
requests or requests leaving the machine; search, navigation and widgets work."""
import functools
import http.server
import threading
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
pytestmark = pytest.mark.browser


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [ch["file"] for ch in part["chapters"]]
    return pages


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail("no built site: `make book` builds it (make test does)")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


from .conftest import _problems  # noqa: E402


def _load(page, url, tries=3):
    """Open ``url``; again (at most ``tries`` times) only when Chromium aborted loads
    with ERR_NETWORK_CHANGED: the machine's interfaces changed mid-load (an engine
    adding a container's veth meanwhile), which says nothing about the page. Any other
    error stays, and a page that fails that way every time still fails."""
    for _ in range(tries):
        page._console.clear(), page._failed.clear(), page._external.clear()
        page.goto(url, wait_until="networkidle")
        errors, _, _ = _problems(page)
        if not any("ERR_NETWORK_CHANGED" in e for e in errors):
            break


@pytest.mark.parametrize("doc", toc_pages())
def test_page_loads_offline_without_errors(site, offline_page, doc):
    page = offline_page
    _load(page, f"{site}/{doc}.html")
    expect(page.locator("article h1").first).to_be_visible()
    errors, failed, external = _problems(page)
    assert not errors, errors
    assert not failed, failed
    assert not external, f"the page asked the internet for: {external}"


def test_search_finds_cgroup(site, offline_page):
    offline_page.goto(f"{site}/search.html?q=cgroup", wait_until="networkidle")
    results = offline_page.locator("#search-results li")
    expect(results.first).to_be_visible(timeout=15_000)
    assert results.count() >= 2
    assert any("cgroups" in (a or "") for a in results.locator("a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"))


def test_next_and_previous_navigation(site, offline_page):
    page = offline_page
    pages = toc_pages()
    page.goto(f"{site}/{pages[0]}.html")
    page.locator("a.right-next").first.click()
    page.wait_for_url(f"**/{pages[1]}.html")
    page.locator("a.right-next").first.click()
    page.wait_for_url(f"**/{pages[2]}.html")
    page.locator("a.left-prev").first.click()
    page.wait_for_url(f"**/{pages[1]}.html")


def test_widget_renders_on_the_cgroups_page(site, offline_page):
    page = offline_page
    page.goto(f"{site}/notebooks/04_cgroups.html", wait_until="networkidle")
    sliders = page.locator(".widget-slider")
    expect(sliders.first).to_be_visible(timeout=20_000)
    assert sliders.count() >= 2
    expect(page.get_by_text("memory limit (MiB)").first).to_be_visible()
    expect(page.locator(".widget-image img, img.widget-image").first).to_be_visible()
    errors, failed, external = _problems(page)
    assert not errors and not failed and not external, (errors, failed, external)
