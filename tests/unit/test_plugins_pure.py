"""coursekit.engine's CLI-plugin logic without running anything."""
import pytest

from coursekit import engine


@pytest.mark.parametrize("rel, system", [
    ({"ID": "ubuntu", "VERSION_ID": "24.04"}, "ubuntu"),
    ({"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}, "ubuntu"),
    ({"ID": "debian", "VERSION_ID": "12"}, "debian12"),
    ({"ID": "debian", "VERSION_ID": "13"}, "debian13"),
    ({"ID": "debian"}, "debian13"),                 # testing / sid
    ({"ID": "debian", "VERSION_ID": "11"}, "debian-other"),
    ({"ID": "fedora", "VERSION_ID": "40"}, "other"),
])
def test_system(monkeypatch, rel, system):
    monkeypatch.setattr(engine, "_os_release", lambda: rel)
    assert engine._system() == system


def test_install_hints_name_the_packages():
    assert "docker-buildx docker-compose-v2" in engine.plugin_install_hint("ubuntu")
    assert "docker-buildx docker-compose`" in engine.plugin_install_hint("debian13")
    assert "doctor --fix" in engine.plugin_install_hint("debian12")
    assert "docker-compose-plugin" in engine.plugin_install_hint("other")


def test_lines():
    st = engine.PluginStatus("v0.13.1", "v2.26.1")
    assert st.ok
    assert st.builder_line() == (True, "buildx v0.13.1 (BuildKit)")
    assert st.compose_line() == (True, "Compose v2.26.1")
    st = engine.PluginStatus(None, None, problem="do X")
    good, text = st.builder_line()
    assert good is None and "legacy builder only" in text and "do X" in text
    good, text = st.compose_line()
    assert good is None and "missing" in text and "do X" in text


def test_no_fix_never_installs(monkeypatch):
    monkeypatch.setattr(engine, "plugin_versions", lambda: (None, None))
    monkeypatch.setattr(engine, "apt_install", lambda *a, **k: pytest.fail("installed"))
    monkeypatch.setattr(engine, "_install_from_trixie", lambda q: pytest.fail("installed"))
    st = engine.ensure_plugins(fix=False)
    assert not st.ok and st.action is None


def test_fix_as_non_root_explains(monkeypatch):
    monkeypatch.setattr(engine, "plugin_versions", lambda: (None, "v2.26.1"))
    monkeypatch.setattr(engine, "_system", lambda: "ubuntu")
    monkeypatch.setattr(engine.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(engine.shutil, "which", lambda c: "/usr/bin/docker")
    st = engine.ensure_plugins(fix=True)
    assert st.action is None and "needs root" in st.problem
    assert "docker-compose-v2" in st.builder_line()[1]


def test_fix_on_debian12_uses_trixie(monkeypatch):
    versions = iter([(None, None), ("v0.13.1", "v2.26.1")])
    monkeypatch.setattr(engine, "plugin_versions", lambda: next(versions))
    monkeypatch.setattr(engine, "_system", lambda: "debian12")
    monkeypatch.setattr(engine.os, "geteuid", lambda: 0)
    monkeypatch.setattr(engine.shutil, "which", lambda c: "/usr/bin/docker")
    called = []
    monkeypatch.setattr(engine, "_install_from_trixie", lambda q: called.append(q))
    st = engine.ensure_plugins(fix=True, quiet=True)
    assert called == [True] and st.ok and "Debian 13" in st.action and st.problem is None


def test_fix_on_ubuntu_and_debian13_use_apt(monkeypatch):
    monkeypatch.setattr(engine.os, "geteuid", lambda: 0)
    monkeypatch.setattr(engine.shutil, "which", lambda c: "/usr/bin/docker")
    for system, pkgs in (("ubuntu", ["docker-buildx", "docker-compose-v2"]),
                         ("debian13", ["docker-buildx", "docker-compose"])):
        got = []
        monkeypatch.setattr(engine, "plugin_versions", lambda: (None, None))
        monkeypatch.setattr(engine, "_system", lambda s=system: s)
        monkeypatch.setattr(engine, "apt_install", lambda p, quiet=False: got.append(p) or False)
        st = engine.ensure_plugins(fix=True, quiet=True)
        assert got == [pkgs] and not st.ok and "failed" in st.problem
