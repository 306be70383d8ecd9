"""`make lab` as the learner meets it: JupyterLab in a real browser runs the hello
lesson top to bottom against the real engine, with no error output."""
import json
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import menu, open_notebook

pytestmark = pytest.mark.browser


def test_hello_lesson_runs_top_to_bottom_in_jupyterlab(lab_server, page):
    base, token = lab_server
    nb = open_notebook(page, lab_server, "notebooks/01_hello_container.ipynb")
    # Clear the stored outputs first, so every output we then see is fresh.
    menu(page, "Edit", "Clear Outputs of All Cells")
    expect(nb.locator(".jp-OutputArea-output")).to_have_count(0, timeout=10_000)
    menu(page, "Run", "Run All Cells")
    # The last code cell prints the cleanup report: wait for it.
    expect(nb.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")).to_contain_text(
        "cleanup:", timeout=90_000)
    text = nb.inner_text()
    assert "same kernel: True" in text
    assert "equal: True" in text
    assert "1 root     sleep 300" in text
    assert "cleanup: nothing of the course's to remove" in text
    assert nb.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "Traceback" not in text
    prompts = nb.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert len(prompts) >= 10
    assert all(p.strip() not in ("[ ]:", "[*]:") for p in prompts), prompts
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
        assert json.load(r), "a kernel should be running for the notebook"


def test_lesson_boxes_render_in_jupyterlab(lab_server, page):
    """The lessons' MyST boxes ({admonition} Questions/Objectives/Key points) render as
    boxes with their titles (jupyterlab-myst), not as raw code fences."""
    nb = open_notebook(page, lab_server, "notebooks/03_namespaces.ipynb")
    boxes = nb.locator("aside.myst-admonition")
    expect(boxes.first).to_be_visible(timeout=30_000)
    titles = nb.locator(".myst-admonition-header-text").all_inner_texts()
    assert titles[:2] == ["Questions", "Objectives"], titles
    nb.locator(".jp-Cell").last.scroll_into_view_if_needed()
    expect(nb.locator(".myst-admonition-header-text", has_text="Key points")).to_have_count(1, timeout=30_000)
    assert nb.locator(".jp-RenderedMarkdown", has_text="{admonition}").count() == 0
