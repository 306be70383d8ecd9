"""coursekit.debian: the private apt configuration (command construction only)."""
from pathlib import Path

from coursekit import debian


def _opts(cmd):
    return {cmd[i + 1].split("=", 1)[0]: cmd[i + 1].split("=", 1)[1]
            for i, a in enumerate(cmd) if a == "-o"}


def test_every_apt_path_is_private(tmp_path):
    base = tmp_path / "apt-trixie"
    o = _opts(debian.update_cmd(base))
    assert o["Dir::Etc::sourcelist"] == str(base / "sources.list.d" / "debian.sources")
    assert o["Dir::Etc::sourceparts"] == "-"
    for key in ("Dir::State::Lists", "Dir::State::status", "Dir::Cache",
                "Dir::Cache::archives", "Dir::State", "Dir::Etc::preferences",
                "Dir::Etc::preferencesparts", "Dir::Log"):
        assert Path(o[key]).is_relative_to(base), key
    assert not any("/var/lib/apt" in v or "/etc/apt" in v for v in o.values())


def test_update_and_download_commands(tmp_path):
    cmd = debian.update_cmd(tmp_path)
    assert cmd[0] == "apt-get" and cmd[-1] == "update"
    cmd = debian.download_cmd(tmp_path, ["docker.io", "containerd=1.7.24~ds1-6"])
    assert cmd[0] == "apt-get"
    assert cmd[-3:] == ["download", "docker.io", "containerd=1.7.24~ds1-6"]
    assert debian.extract_cmd(Path("a.deb"), Path("/r")) == ["dpkg-deb", "-x", "a.deb", "/r"]


def test_sources_text_is_signed_by_the_archive_keyring():
    text = debian.sources_text("trixie")
    assert "Suites: trixie\n" in text and "Components: main\n" in text
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in text
    assert "URIs: http://deb.debian.org/debian" in text


def test_apt_dir_per_suite(tmp_path):
    assert debian.apt_dir("trixie", tmp_path) == tmp_path / "apt-trixie"
    assert debian.apt_dir("forky", tmp_path) == tmp_path / "apt-forky"


def test_prepare_creates_tree_and_empty_status(tmp_path):
    base = tmp_path / "apt-trixie"
    debian.prepare(base, "trixie")
    assert (base / "status").read_text() == ""
    assert (base / "lists" / "partial").is_dir()
    assert (base / "cache" / "archives" / "partial").is_dir()
    assert "Suites: trixie" in (base / "sources.list.d" / "debian.sources").read_text()


def test_update_is_cached_for_a_day(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(debian, "_run", lambda cmd, cwd=None: ran.append(cmd) or
                        type("P", (), {"returncode": 0, "stdout": "Get:1 ok"})())
    assert debian.update("trixie", cache=tmp_path) is True
    assert debian.update("trixie", cache=tmp_path) is False      # fresh stamp
    assert debian.update("trixie", cache=tmp_path, max_age=0) is True
    assert len(ran) == 2 and ran[0][-1] == "update"


def test_update_failure_raises_and_clears_stamp(tmp_path, monkeypatch):
    import pytest
    monkeypatch.setattr(debian, "_run", lambda cmd, cwd=None:
                        type("P", (), {"returncode": 0,
                                       "stdout": "W: GPG error: bad signature"})())
    with pytest.raises(debian.AptError, match="GPG error"):
        debian.update("trixie", cache=tmp_path)
    assert not (tmp_path / "apt-trixie" / "updated").exists()
