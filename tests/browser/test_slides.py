"""`python -m coursekit slides`: reveal.js decks from the lessons, working offline."""
import functools
import http.server
import threading

import pytest
from playwright.sync_api import expect

from coursekit.instructor.slides import slides

from .conftest import ROOT, _problems


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    written = slides(out=out, quiet=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", written
    server.shutdown()


def test_one_deck_per_lesson(decks):
    _, written = decks
    assert sorted(p.name for p in written) == sorted(
        f"{nb.stem}.slides.html" for nb in (ROOT / "notebooks").glob("*.ipynb"))


def test_a_deck_runs_offline_and_steps_through_headings(decks, offline_page):
    base, _ = decks
    page = offline_page
    page.goto(f"{base}/01_hello_container.slides.html", wait_until="networkidle")
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=15000)
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total >= 5, total
    expect(page.locator(".reveal .slides section.present h1").first).to_contain_text("Hello")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 1")
    # the stored outputs come along: the kernel comparison printed when the lesson ran
    assert page.locator(".reveal").get_by_text("same kernel: True").count() >= 1
    errors, failed, external = _problems(page)
    assert not errors and not failed and not external, (errors, failed, external)
