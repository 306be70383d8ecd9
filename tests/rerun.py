"""Run each notebook twice in ONE kernel, as a learner whose "Run All" stopped before
the end and who presses "Run All" again.

    python -m tests.rerun notebooks/01_hello_container.ipynb ...

Each notebook gets one IPython kernel (working directory: the notebook's folder, as
JupyterLab does). The first run stops before the last code cell (a lesson's own
cleanup), so everything the lesson made is still there; then every code cell runs
again. Either run fails on:
- a cell that raises, or whose output shows an engine error or a traceback, unless
  the cell says why it means to (``metadata.coursekit.expected-error``);
- a cell whose output no longer proves its claims in book/claims.yml (so the verdicts
  of a rerun still hold, not merely "no error").
The first pass also shows that what earlier runs left on the engine disturbs nothing;
the second, that a lesson cleans up after its own earlier run in the same kernel
(names, ports, registries, files).  Exit status 1 if any notebook failed.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

from tests import claims

ROOT = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 600


def run_cell(kc, code: str) -> tuple[list[dict], str | None]:
    """(outputs in nbformat shape, the error name or None)."""
    outputs: list[dict] = []
    error = None

    def hook(msg):
        kind, c = msg["msg_type"], msg["content"]
        if kind == "stream":
            outputs.append({"output_type": "stream", "text": c["text"]})
        elif kind in ("display_data", "execute_result"):
            outputs.append({"output_type": kind, "data": c["data"]})
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": c["ename"], "evalue": c["evalue"]})
    reply = kc.execute_interactive(code, timeout=CELL_TIMEOUT, output_hook=hook)
    if reply["content"]["status"] == "error":
        error = reply["content"]["ename"]
    return outputs, error


def rerun(path: Path) -> list[str]:
    """Run ``path`` twice in one kernel; return the problems found."""
    rel = str(path.resolve().relative_to(ROOT))
    nb = json.loads(path.read_text())
    proofs = claims.proofs_by_cell(claims.host_kind())   # the claims this host shows
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(path.parent.resolve()))
    kc = km.client()
    kc.start_channels()
    problems: list[str] = []
    try:
        kc.wait_for_ready(timeout=60)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for run, cells in ((1, code[:-1]), (2, code)):
            t0 = time.monotonic()
            for cell in cells:
                cid = cell.get("id", "?")
                outputs, error = run_cell(kc, "".join(cell["source"]))
                text = claims.output_text(outputs)
                expected = (cell["metadata"].get("coursekit") or {}).get("expected-error")
                if (error or claims.ERROR_MARKS.search(text)) and not expected:
                    problems.append(f"{rel}#{cid} (run {run}): {error or 'engine error'}\n"
                                    f"{text[-1500:]}")
                    break   # as Run All stops at the first error
                failed = claims.unproven(text, proofs.get((rel, cid), []))
                if failed:
                    problems.append(f"{rel}#{cid} (run {run}): no longer proves "
                                    f"{', '.join(failed)}\n{text[-1500:]}")
            print(f"  {rel}: run {run} in {time.monotonic() - t0:.0f} s", flush=True)
            if problems:
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = 0
    for p in paths:
        problems = rerun(p)
        for problem in problems:
            print(f"FAILED {problem}", flush=True)
        failed += bool(problems)
    print(f"rerun in one kernel: {len(paths) - failed} of {len(paths)} notebooks passed twice")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
