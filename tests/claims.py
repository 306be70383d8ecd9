"""The claims ledger (book/claims.yml): each claim the course makes, and the cell
whose output proves it.  Read by tests/unit/test_claims.py (stored outputs) and by
the nbval plugin tests/nbval_hosts.py (fresh outputs, on every host)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "book" / "claims.yml"
# an engine's refusal, a Python traceback, or the shell failing to run a `!` line
ERROR_MARKS = re.compile(r"Error response from daemon|Traceback \(most recent call last\)"
                         r"|\bsh: \d+: |: command not found")


def load() -> list[dict]:
    return yaml.safe_load(LEDGER.read_text())


def host_kind() -> str:
    """The test host this run is on (tests/hosts/; ``native`` unless set)."""
    return os.environ.get("COURSEKIT_HOST_KIND", "native")


def proofs_by_cell(host: str | None = None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{(notebook path relative to the repo, cell id): [(claim id, regex), ...]}

    With ``host``, only the claims that hold there: a claim with ``hosts: [...]`` is
    shown only on those hosts (its cells say why they do nothing elsewhere)."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for claim in load():
        if host is not None and host not in claim.get("hosts", [host]):
            continue
        for proof in claim.get("proofs") or []:
            path, cell_id = proof["cell"].split("#", 1)
            found.setdefault((path, cell_id), []).append((claim["id"], proof["output"]))
    return found


def output_text(outputs, mimetypes=("text/plain",)) -> str:
    """The text a reader sees: streams, results of ``mimetypes`` (None: every text
    type), error names and messages."""
    def text(v):
        return "".join(v) if isinstance(v, list) else v
    parts = []
    previous = None
    for out in outputs:
        if "text" in out:
            # A stream arrives in chunks split wherever the kernel flushed (once mid-line,
            # in a slow run); Jupyter shows consecutive chunks of one stream as one text.
            if out.get("output_type") == "stream" and previous == out.get("name") and parts:
                parts[-1] += text(out["text"])
            else:
                parts.append(text(out["text"]))
        previous = out.get("name") if out.get("output_type") == "stream" else None
        for mime, value in (out.get("data") or {}).items():
            if (mimetypes is None or mime in mimetypes) and isinstance(value, (str, list)) and value:
                parts.append(text(value))
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\nTraceback (most recent call last)")
    return "\n".join(parts)


def unproven(text: str, proofs: list[tuple[str, str]]) -> list[str]:
    """The claims among ``proofs`` whose pattern the output no longer matches."""
    return [f"{cid}: /{rx}/" for cid, rx in proofs if not re.search(rx, text, re.M)]
