"""The host plugin: on a host other than the reference, a marked cell's verdict lines
are still compared and only its other lines may differ (real nbval, real kernel)."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def notebook(tmp_path, fresh, stored, mark):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"print({fresh!r})", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored + "\n")]
    if mark is not None:
        cell.metadata["coursekit"] = {"differs-by-host": mark}
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


def run(path, host):
    env = dict(os.environ, COURSEKIT_HOST_KIND=host, COURSEKIT_REFERENCE_HOST="v2vm")
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.nbval_hosts", "--nbval",
                        str(path), "-q", "-p", "no:cacheprovider"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout


VERDICTS = {"why": "driver paths", "verdicts": "^verdict"}


@pytest.mark.parametrize("host,fresh,stored,mark,passes", [
    # elsewhere: the detail may differ, the verdict may not
    ("native", "path /docker/1\nverdict: ok", "path /system.slice/1\nverdict: ok", VERDICTS, True),
    ("native", "path /docker/1\nverdict: BAD", "path /system.slice/1\nverdict: ok", VERDICTS, False),
    # groups: only what they capture is compared
    ("native", "memory/memory.limit_in_bytes = 512", "memory.max = 512",
     {"why": "v1 vs v2 file names", "verdicts": r"= (\d+)$"}, True),
    ("native", "memory/memory.limit_in_bytes = 1024", "memory.max = 512",
     {"why": "v1 vs v2 file names", "verdicts": r"= (\d+)$"}, False),
    # a plain reason: not compared at all, but still listed
    ("native", "anything", "something else", "engine wording", True),
    # on the reference host every line is compared, marked or not
    ("v2vm", "path /docker/1\nverdict: ok", "path /system.slice/1\nverdict: ok", VERDICTS, False),
    # unmarked cells are compared everywhere
    ("native", "path /docker/1", "path /system.slice/1", None, False),
])
def test_marked_cells(tmp_path, host, fresh, stored, mark, passes):
    code, out = run(notebook(tmp_path, fresh, stored, mark), host)
    assert (code == 0) == passes, out
    if mark is not None and host != "v2vm":
        assert "compared in part or not at all" in out and "t.ipynb" in out


def test_a_verdict_pattern_that_matches_nothing_is_refused(tmp_path):
    path = notebook(tmp_path, "x", "x", {"why": "w", "verdicts": "^nothing-like-this"})
    code, out = run(path, "native")
    assert code != 0 and "matches no line of the stored output" in out
