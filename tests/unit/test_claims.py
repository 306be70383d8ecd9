"""The claims ledger against the stored outputs: every claim is proven by a cell that
exists and whose output matches, or says openly what is missing; and no stored output
shows an engine error or a traceback unless its cell says why it is expected."""
import json
import re

import pytest

from tests import claims

ROOT = claims.ROOT
LEDGER = claims.load()
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("exercises/solutions/*.ipynb"))


def cells(path):
    return {c.get("id"): c for c in json.loads((ROOT / path).read_text())["cells"]}


def test_ids_are_unique_and_claims_are_sentences():
    ids = [c["id"] for c in LEDGER]
    assert len(ids) == len(set(ids))
    for c in LEDGER:
        assert len(c["claim"].split()) >= 3, c


def test_the_seed_claims_and_every_key_point_are_in_the_ledger():
    ids = {c["id"] for c in LEDGER}
    assert {f"seed-{i:02d}" for i in range(1, 15)} <= ids
    for nb in sorted(ROOT.glob("notebooks/*.ipynb")):
        text = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                       if c["cell_type"] == "markdown")
        box = re.search(r"```\{admonition\} Key points\n(.*?)```", text, re.S)
        if not box:
            continue
        points = [l for l in box.group(1).splitlines() if l.startswith("- ")]
        lesson = nb.name[:2]
        assert {f"kp-{lesson}-{i}" for i in range(1, len(points) + 1)} <= ids, nb.name


@pytest.mark.parametrize("claim", LEDGER, ids=lambda c: c["id"])
def test_claim_is_proven_by_its_stored_output(claim):
    if not claim.get("proofs"):
        assert claim.get("missing"), f"{claim['id']}: no proving cell and no `missing` note"
        pytest.skip(f"not proven yet: {claim['missing']}")
    for proof in claim["proofs"]:
        path, cell_id = proof["cell"].split("#", 1)
        cell = cells(path).get(cell_id)
        assert cell is not None, f"{claim['id']}: {proof['cell']} is gone"
        assert cell["cell_type"] == "code"
        text = claims.output_text(cell.get("outputs", []))
        assert re.search(proof["output"], text, re.M), \
            f"{claim['id']}: the stored output of {proof['cell']} no longer matches /{proof['output']}/"


def test_a_pattern_that_does_not_match_is_caught():
    assert claims.unproven("same kernel: False", [("x", r"same kernel: True")]) == ["x: /same kernel: True/"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_unexplained_engine_error_in_stored_outputs(nb):
    for cell in json.loads(nb.read_text())["cells"]:
        text = claims.output_text(cell.get("outputs", []))
        if claims.ERROR_MARKS.search(text):
            why = (cell["metadata"].get("coursekit") or {}).get("expected-error", "")
            assert len(why.split()) >= 5, (
                f"{nb.name} cell {cell.get('id')} stores an engine error or a traceback; if the "
                "lesson means it, say why in metadata.coursekit.expected-error")


def test_stream_chunks_read_as_one_text():
    from tests.claims import output_text
    outs = [{"output_type": "stream", "name": "stdout", "text": "in that order:"},
            {"output_type": "stream", "name": "stdout", "text": " True\n"},
            {"output_type": "stream", "name": "stderr", "text": "warning\n"}]
    assert output_text(outs) == "in that order: True\n\nwarning\n"


def test_a_claim_shown_on_some_hosts_only_is_checked_there_only():
    kinds = {p.stem for p in (ROOT / "tests" / "hosts").glob("*.sh")} | {"native"}
    scoped = [c for c in LEDGER if "hosts" in c]
    for c in scoped:
        assert c["hosts"] and set(c["hosts"]) <= kinds, (c["id"], c["hosts"], kinds)
        assert c.get("note"), f"{c['id']}: a host-scoped claim says why in its note"
    cell = ("notebooks/14_security.ipynb", "s35b")
    assert any(cid == "prose-14-1" for cid, _ in claims.proofs_by_cell("v2vm")[cell])
    assert not any(cid == "prose-14-1" for cid, _ in claims.proofs_by_cell("native").get(cell, []))
    assert any(cid == "prose-14-1" for cid, _ in claims.proofs_by_cell()[cell])
