"""`make lab` as the learner meets it: JupyterLab in a real browser runs the hello
lesson top to bottom against the real engine, with no error output."""
import json
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _kernels(base, token):
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
        return json.load(r)


def _menu(page, menu, item):
    """Use JupyterLab's menu bar, as a learner would."""
    page.get_by_role("menuitem", name=menu, exact=True).click()
    entry = page.get_by_role("menuitem", name=item, exact=True)
    entry.wait_for(state="visible")
    entry.click()
    expect(entry).to_be_hidden()


def test_hello_lesson_runs_top_to_bottom_in_jupyterlab(lab_server, page):
    base, token = lab_server
    page.goto(f"{base}/lab/tree/notebooks/01_hello_container.ipynb?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    # The notebook's kernel must be idle before we run everything.
    expect(page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first).to_be_visible(
        timeout=60_000)
    # Clear the stored outputs first, so every output we then see is fresh.
    _menu(page, "Edit", "Clear Outputs of All Cells")
    expect(page.locator(".jp-OutputArea-output")).to_have_count(0, timeout=10_000)
    _menu(page, "Run", "Run All Cells")
    # The last code cell prints the cleanup report: wait for it.
    expect(page.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")).to_contain_text(
        "cleanup:", timeout=90_000)
    text = page.locator(".jp-NotebookPanel").inner_text()
    assert "same kernel: True" in text
    assert "equal: True" in text
    assert "1 root     sleep 300" in text
    assert "cleanup: nothing of the course's to remove" in text
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "Traceback" not in text and "Error" not in text.replace("CourseError", "")
    n_code = page.locator(".jp-CodeCell").count()
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert all(p.strip() not in ("[ ]:", "[*]:") for p in prompts), prompts
    assert n_code >= 10
    assert _kernels(base, token), "a kernel should be running for the notebook"
