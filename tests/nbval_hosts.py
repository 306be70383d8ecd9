"""pytest plugin for nbval runs on the course's test hosts (``-p tests.nbval_hosts``).

The stored outputs are recorded on the reference host (``$COURSEKIT_REFERENCE_HOST``,
``v2vm`` unless set: cgroup v2, a current engine, a non-root docker-group user) and
compared there cell by cell.  On every other host (``$COURSEKIT_HOST_KIND``) the
same comparison runs, except for the cells whose metadata names a host difference::

    "metadata": {"coursekit": {"differs-by-host": "cgroup v1 vs v2 file names"}}
    "metadata": {"coursekit": {"differs-by-host": {"why": "cgroup v1 vs v2 file names",
                                                   "verdicts": "^(✅|❌|verdict)"}}}

Those cells still run and must not fail.  With ``verdicts`` (a regex), the output
lines that match it are still compared (the lesson's verdicts must hold on every
host) and only the other lines may differ; if the regex has groups, only what they
capture in those lines is compared (``memory.max = (\\d+)``: the value, whatever the
file is called on that host).  Without ``verdicts`` the output is not compared.
The end of the run lists each such cell with its reason, so nothing is ignored
silently.

On every host, a cell that proves a claim of the ledger (book/claims.yml) must
still print what proves it: its fresh output is matched against the claim's pattern
(a claim with ``hosts: [...]`` only on those hosts).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from tests import claims

REFERENCE = os.environ.get("COURSEKIT_REFERENCE_HOST", "v2vm")
_relaxed: list[tuple[str, str]] = []


host_kind = claims.host_kind


def difference(cell) -> tuple[str, str | None] | None:
    """(why, verdict regex or None) from a cell's metadata, or None."""
    mark = (cell.metadata.get("coursekit") or {}).get("differs-by-host")
    if not mark:
        return None
    if isinstance(mark, str):
        return mark, None
    return mark["why"], mark.get("verdicts")


def verdict_filter(pattern: str):
    rx = re.compile(pattern)

    def verdict(m):   # the groups that matched, if the pattern has groups; else the line
        groups = [g for g in m.groups() if g is not None]
        return " ".join(groups) if groups else m.string

    def keep(s):
        if not isinstance(s, str):
            return s
        return "\n".join(verdict(m) for m in map(rx.search, s.splitlines()) if m)
    return keep


def prove_claims(item, proofs):
    """After the cell runs: its fresh output must still prove its ledger claims."""
    run = item.runtest

    def runtest():
        run()
        text = claims.output_text(item.test_outputs or [])
        failed = claims.unproven(text, proofs)
        if failed:
            raise AssertionError(f"on host {host_kind()}, the output no longer proves "
                                 f"{', '.join(failed)} (book/claims.yml):\n{text[:2000]}")
    item.runtest = runtest


def relax(item, cell):
    """On a host other than the reference: compare a marked cell in part, or not at all."""
    diff = difference(cell)
    if not diff or not item.options.get("check"):
        return
    why, verdicts = diff
    if verdicts is None:
        item.options["check"] = False
        _relaxed.append((item.nodeid, f"{why} (not compared)"))
        return
    keep = verdict_filter(verdicts)
    if not keep(claims.output_text(cell.get("outputs", []), mimetypes=None)).strip():
        raise ValueError(f"{item.nodeid}: its verdict pattern {verdicts!r} matches no "
                         "line of the stored output, so it would compare nothing")
    original = item.sanitize
    item.sanitize = lambda s, original=original, keep=keep: keep(original(s))
    _relaxed.append((item.nodeid, f"{why} (only lines matching {verdicts!r} compared)"))


def pytest_collection_modifyitems(session, config, items):
    ledger = claims.proofs_by_cell(host_kind())
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or getattr(item, "options", None) is None:
            continue
        path = Path(str(item.fspath)).resolve()
        if path.is_relative_to(claims.ROOT):
            proofs = ledger.get((path.relative_to(claims.ROOT).as_posix(), cell.get("id")))
            if proofs:
                prove_claims(item, proofs)
        if host_kind() != REFERENCE:
            relax(item, cell)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if host_kind() == REFERENCE:
        terminalreporter.write_line(f"host {REFERENCE} (reference): every cell's output compared")
        return
    terminalreporter.write_line(
        f"host {host_kind()}: {len(_relaxed)} cells compared in part or not at all "
        f"(they differ by host; reference host: {REFERENCE}):")
    for nodeid, why in _relaxed:
        terminalreporter.write_line(f"  {nodeid}: {why}")
