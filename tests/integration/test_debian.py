"""coursekit.debian for real: download one small trixie package through the private
apt configuration and check the system's apt state stays Debian 12's."""
import os
from pathlib import Path

import pytest

from coursekit import debian

pytestmark = [
    pytest.mark.skipif(not Path("/etc/debian_version").exists(),
                       reason="needs a Debian-family machine (apt-get, dpkg-deb)"),
    pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0,
                       reason="the private apt cache lives in /var/cache/coursekit: needs root"),
]


def _system_lists():
    return sorted(p.name for p in Path("/var/lib/apt/lists").glob("*"))


def test_fetch_and_extract_from_trixie(tmp_path):
    before = _system_lists()
    debs = debian.fetch_debs(["tini"], tmp_path / "debs")
    assert len(debs) == 1 and debs[0].name.startswith("tini_") and debs[0].suffix == ".deb"
    root = debian.extract(debs, tmp_path / "root")
    assert (root / "usr" / "bin" / "tini-static").is_file()
    assert _system_lists() == before
    assert not any("trixie" in n for n in _system_lists())


def test_trixie_release_verifies_with_the_archive_keyring():
    debian.update("trixie")
    out = debian.verify_release("trixie")
    assert "Good signature" in out and "trixie" in out
