"""The start page in a real browser: the checks pass, the dashboard widget renders,
lists the container the page started, and reacts to a click on Refresh."""
import pytest
from playwright.sync_api import expect

from .conftest import menu, open_notebook

pytestmark = pytest.mark.browser


def test_start_page_checks_and_dashboard(lab_server, page):
    nb = open_notebook(page, lab_server, "notebooks/00_start_here.ipynb")
    menu(page, "Edit", "Clear Outputs of All Cells")
    expect(nb.locator(".jp-OutputArea-output")).to_have_count(0, timeout=10_000)

    # Run up to and including the dashboard cell (not the clean-up cell after it).
    cells = nb.locator(".jp-Cell")
    dash_cell = nb.locator(".jp-CodeCell", has_text="ck.dashboard()").first
    dash_cell.click()
    menu(page, "Run", "Run All Above Selected Cell")
    expect(nb.locator(".jp-CodeCell", has_text="checks.environment()").first
           .locator(".jp-OutputArea-output")).to_contain_text("all good", timeout=90_000)
    report = nb.locator(".jp-CodeCell", has_text="checks.environment()").first.inner_text()
    assert "❌" not in report and report.count("✅") >= 5, report
    page.keyboard.press("Shift+Enter")  # run the dashboard cell itself
    dashboard = nb.locator(".coursekit-dashboard")
    expect(dashboard.first).to_be_visible(timeout=30_000)
    expect(dashboard.first.locator(".coursekit-row", has_text="-start-demo")).to_have_count(1)
    expect(dashboard.first).to_contain_text("running")

    # The learner's own container and the dashboard's cleanup button (the next two
    # cells), then Refresh on the first dashboard: the course's demo is gone.
    for text in ("your own container on the dashboard", "board.cleanup_button.click()"):
        nb.locator(".jp-CodeCell", has_text=text).first.click()
        page.keyboard.press("Shift+Enter")
    after = nb.locator(".jp-CodeCell", has_text="board.cleanup_button.click()").first.locator(".jp-OutputArea-output")
    expect(after).to_contain_text("your own container after the cleanup: running", timeout=30_000)
    expect(after).to_contain_text("the course's demo after the cleanup: False")
    dashboard.first.locator("button[title='Refresh']").click()
    expect(dashboard.first.locator(".coursekit-row", has_text="-start-demo")).to_have_count(0, timeout=15_000)
    expect(dashboard.first).to_contain_text("none running")
    assert cells.count() > 5
