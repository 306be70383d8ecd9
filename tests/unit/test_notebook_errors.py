"""Course errors in a notebook: a short message with the fix, the traceback folded."""
from IPython.core.interactiveshell import InteractiveShell

import coursekit.notebook as nb
from coursekit import DockerUnavailable


def test_course_error_renders_short_with_fix_and_folded_traceback(monkeypatch, capsys):
    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    shell.set_custom_exc((DockerUnavailable,), nb._short_error_handler)
    result = shell.run_cell("from coursekit import DockerUnavailable\n"
                            "raise DockerUnavailable('no Docker engine socket at /x.sock', 'start Docker')")
    assert result.error_in_exec is not None
    html = shown[0].data
    assert "DockerUnavailable" in html and "no Docker engine socket at /x.sock" in html
    assert "<b>Fix:</b> start Docker" in html
    assert "<details><summary>full traceback</summary>" in html
    out = capsys.readouterr().out
    assert "Fix: start Docker" in out and "Traceback (most recent call last)" not in out


def test_lab_settings_save_widget_state_and_stay_offline(tmp_path, monkeypatch):
    import json
    import sys
    from coursekit.cli import _lab_settings
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    data = json.loads(_lab_settings().read_text())
    assert data["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    assert data["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
