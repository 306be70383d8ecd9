"""The memory lab widget's workload, on the real engine: fits, or is OOM-killed."""
import coursekit as ck
from coursekit.widgets import MemoryLab, run_memory_workload


def test_workload_that_fits_finishes(client):
    state, samples = run_memory_workload(client, limit_mib=64, alloc_mib=24)
    assert not state["OOMKilled"] and state["ExitCode"] == 0
    assert samples and max(s for _, s in samples) <= 64 * 2**20


def test_workload_over_the_limit_is_oom_killed(client):
    state, _ = run_memory_workload(client, limit_mib=24, alloc_mib=40)
    assert state["OOMKilled"] and state["ExitCode"] == 137


def test_widget_reports_the_outcome_and_draws(client):
    lab = MemoryLab(client, limit_mib=24, alloc_mib=40)
    out = lab.run()
    assert "OOM-killed" in out
    # As a cell's last line: the words as text (no raw tags), the HTML in JupyterLab.
    assert repr(out).startswith("❌ OOM-killed (exit code 137)") and "<b>" not in repr(out)
    assert "<b>OOM-killed</b>" in out._repr_html_()
    assert lab.plot.value[:4] == b"\x89PNG"
    assert not lab.button.disabled
    flt = {"label": [f"coursekit.session={ck.session()}", "coursekit.role=memlab"]}
    assert client.containers.list(all=True, filters=flt) == []   # removed after each run
