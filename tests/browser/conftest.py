"""Real-browser fixtures: JupyterLab started the way `make lab` starts it, and
Debian's Chromium driven by Playwright (headless).  On failure a screenshot and
the page's console log are saved under test-artifacts/."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium as root")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        page = item.funcargs.get("page")
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            base = ARTIFACTS / re.sub(r"[^\w.-]+", "_", item.nodeid)
            try:
                page.screenshot(path=f"{base}.png", full_page=True)
            except Exception as err:  # the page may be gone
                print(f"screenshot failed: {err}")
            (Path(f"{base}.console.txt")).write_text("\n".join(getattr(page, "_console", [])))
            print(f"browser artifacts: {base}.png, {base}.console.txt")


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg._console = []
    pg.on("console", lambda m: pg._console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: pg._console.append(f"pageerror: {e}"))
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """`python -m coursekit lab` on a free port with a known token; yields its base URL.

    It serves a copy of the course's notebooks, so nothing the browser runs or
    saves (JupyterLab autosaves) can change the stored outputs."""
    from coursekit import free_port
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    port, token = free_port(), "coursekit-test-token"
    log = open(tmp_path_factory.mktemp("lab") / "lab.log", "w+")
    # Its kernels record their sessions apart from this machine's other notebooks, so
    # the start page's "left behind" line speaks of this browser run only.
    env = dict(os.environ, COURSEKIT_LAB_TOKEN=token, JUPYTER_CONFIG_DIR=str(
        tmp_path_factory.mktemp("jupyter-config")),
        COURSEKIT_SESSIONS_DIR=str(tmp_path_factory.mktemp("sessions")))
    proc = subprocess.Popen([sys.executable, "-m", "coursekit", "lab", "--port", str(port),
                             "--root", str(root)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
    out = ""
    for _ in range(100):   # the URL is printed once the server answers, and last
        log.seek(0)
        out = log.read()
        if "(stop it with Ctrl-C)" in out or proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is not None:
        pytest.fail(f"JupyterLab did not start:\n{out[-2000:]}")
    url = f"{base}/lab/tree/notebooks/00_start_here.ipynb?token={token}"
    assert out.rstrip().endswith(f"{url}\n\n(stop it with Ctrl-C)"), out[-1000:]
    assert "[I " not in out and "ServerApp" not in out, "the server's log belongs in its file"
    yield base, token
    # `coursekit lab` runs jupyter-lab as its child: stop the whole process group
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()   # read above while the server started; the child had its own copy


def open_notebook(page, lab, path):
    """Open ``path`` in a fresh JupyterLab workspace; return the notebook panel locator
    once its kernel is idle."""
    import uuid
    from playwright.sync_api import expect
    base, token = lab
    page.goto(f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{path}?reset&token={token}")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    expect(page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first).to_be_visible(timeout=60_000)
    panel.locator(".jp-Cell").first.click()   # focus the notebook, so the menus act on it
    return panel


def menu(page, menu_name, item):
    """Use JupyterLab's menu bar, as a learner would."""
    from playwright.sync_api import expect
    page.get_by_role("menuitem", name=menu_name, exact=True).click()
    entry = page.get_by_role("menuitem", name=item, exact=True)
    entry.wait_for(state="visible")
    entry.click()
    expect(entry).to_be_hidden()


@pytest.fixture
def offline_page(page):
    """A page whose requests to anywhere but this machine are blocked and recorded."""
    page._external, page._failed = [], []

    def route(r):
        if r.request.url.startswith("http://127.0.0.1:"):
            return r.continue_()
        page._external.append(r.request.url)
        return r.abort()
    page.route("**/*", route)
    page.on("requestfailed", lambda req: page._failed.append(req.url))
    return page


def _problems(page):
    errors = [c for c in page._console if c.startswith(("error", "pageerror"))]
    return errors, page._failed, page._external
