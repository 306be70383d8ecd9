"""The course's widgets as a learner sees them in JupyterLab: nothing cut off, the
memory lab's sliders usable, the dashboard's columns aligned (measured in the page)."""
import json
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import menu, open_notebook

pytestmark = pytest.mark.browser

CELLS = [
    "import coursekit as ck\nfrom coursekit.widgets import MemoryLab, RunBuilder\nclient = ck.connect()",
    "MemoryLab(client)",
    "RunBuilder(client)",
    'box = client.containers.run(ck.BUSYBOX, "sleep 120", detach=True, name=ck.name("layout-demo"),\n'
    '                            labels=ck.labels(), ports={"80/tcp": ("127.0.0.1", ck.free_port())})\n'
    "ck.dashboard()",
    "box.remove(force=True)\nprint('removed')",
]

# For every element of a widget whose text could be cut: is the text wider than its box?
CUT = """root => [...root.querySelectorAll(
    '.widget-label, .widget-label-basic, .widget-button, .jupyter-button, .widget-checkbox label, .widget-html-content')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim()).filter(t => t)"""


def put_notebook(lab, path):
    base, token = lab
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3",
          "display_name": "Python 3", "language": "python"}},
          "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                     "execution_count": None, "id": f"w{i}"} for i, c in enumerate(CELLS)]}
    req = urllib.request.Request(f"{base}/api/contents/{path}?token={token}", method="PUT",
                                 data=json.dumps({"type": "notebook", "content": nb}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10)


def test_widgets_are_not_cut_and_columns_line_up(lab_server, page):
    put_notebook(lab_server, "notebooks/zz_widget_layout.ipynb")
    nb = open_notebook(page, lab_server, "notebooks/zz_widget_layout.ipynb")
    menu(page, "Run", "Run All Cells")
    expect(nb.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")).to_contain_text(
        "removed", timeout=90_000)
    # The dashboard cell ran before the removal: re-render is not needed, it shows its row.
    dashboard = nb.locator(".coursekit-dashboard")
    expect(dashboard.locator(".coursekit-row", has_text="layout-demo")).to_have_count(1)

    sliders = nb.locator(".widget-slider .slider-container, .widget-hslider .slider-container")
    expect(sliders).to_have_count(2)
    for i in range(2):
        width = sliders.nth(i).bounding_box()["width"]
        assert width >= 200, f"memory lab slider {i} is {width:.0f} px wide"

    for name in ("memory lab", "run builder", "dashboard"):
        area = {"memory lab": nb.locator(".jp-CodeCell").nth(1),
                "run builder": nb.locator(".jp-CodeCell").nth(2),
                "dashboard": dashboard}[name]
        cut = area.evaluate(CUT)
        assert not cut, f"{name}: text cut off: {cut}"

    header, row = dashboard.locator(".widget-hbox").nth(0), dashboard.locator(".widget-hbox").nth(1)
    lefts = [[round(c.bounding_box()["x"]) for c in box.locator(".widget-html").all()[:5]]
             for box in (header, row)]
    assert lefts[0] == lefts[1], f"dashboard columns do not line up: header {lefts[0]}, row {lefts[1]}"
