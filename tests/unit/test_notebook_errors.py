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


def _echo_shell(monkeypatch):
    """An IPython shell whose `!` lines run through the course's echo (the real shell
    runs them: `echo` stands in for `docker` by a fake `docker` on PATH)."""
    import os
    import tempfile
    bindir = tempfile.mkdtemp()
    fake = os.path.join(bindir, "docker")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\necho "ran: docker $*"\n')
    os.chmod(fake, 0o755)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ["PATH"])
    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell, "system", nb._echoing_system(shell))
    return shell


def _run(shell, capfd, code):
    shell.run_cell(code)
    return capfd.readouterr().out


def test_docker_lines_with_python_values_echo_the_pasteable_command(monkeypatch, capfd):
    shell = _echo_shell(monkeypatch)
    _run(shell, capfd, "NAME = 'ck-s1-web'\nFMT = '{{.Names}}'")
    out = _run(shell, capfd, '!docker ps --filter name={NAME} --format "{FMT}"')
    # the echo, then the command's own output: expanded once (Go's {{ }} kept)
    assert out.splitlines() == ['$ docker ps --filter name=ck-s1-web --format "{{.Names}}"',
                                "ran: docker ps --filter name=ck-s1-web --format {{.Names}}"]
    # a literal $ escaped as $$ (a shell variable) shows as the shell gets it
    out = _run(shell, capfd, '!printf "%s" "$$HOME" >/dev/null; docker login -u {NAME}')
    assert out.splitlines()[0] == '$ printf "%s" "$HOME" >/dev/null; docker login -u ck-s1-web'
    # expanded once only: lesson 02's awk filter keeps its field reference ($$1 -> $1)
    out = _run(shell, capfd, "PID = 42\n!docker ps; echo 42 b | awk '$$1 == {PID}'")
    assert out.splitlines() == ["$ docker ps; echo 42 b | awk '$1 == 42'", "ran: docker ps", "42 b"]


def test_lines_already_pasteable_or_not_docker_print_nothing_extra(monkeypatch, capfd):
    shell = _echo_shell(monkeypatch)
    _run(shell, capfd, "NAME = 'x'")
    assert _run(shell, capfd, "!docker ps").splitlines() == ["ran: docker ps"]
    assert _run(shell, capfd, "!echo {NAME}").splitlines() == ["x"]
    # inside a function, the function's own variables are filled in, as IPython does
    out = _run(shell, capfd, "def f(cmd):\n    !docker {cmd}\nf('info')")
    assert out.splitlines() == ["$ docker info", "ran: docker info"]
