"""Debian packages from another suite (default: Debian 13 "trixie") through a
PRIVATE apt configuration, so this machine's own apt state is left untouched.

``apt-get`` runs with its own sources list, lists, cache and an empty dpkg status
file, all under :data:`CACHE` (``/var/cache/coursekit/apt-<suite>/``); the system's
``/etc/apt/sources.list*`` and ``/var/lib/apt/lists`` are neither read nor written.
Release files are verified with Debian's archive keyring.

    python -m coursekit.debian fetch DEST PKG...       # download .debs into DEST
    python -m coursekit.debian extract ROOT DEB...     # dpkg-deb -x each into ROOT

Standard library only.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from .errors import AptError

CACHE = Path(os.environ.get("COURSEKIT_APT_CACHE", "/var/cache/coursekit"))
MIRROR = os.environ.get("COURSEKIT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
MAX_AGE = 24 * 3600          # re-run `apt-get update` when the lists are older


def apt_dir(suite: str = "trixie", cache: Path | None = None) -> Path:
    return (cache or CACHE) / f"apt-{suite}"


def sources_text(suite: str = "trixie", mirror: str = MIRROR, keyring: Path = KEYRING) -> str:
    """A deb822 sources file for ``suite`` (main), signed by ``keyring``."""
    return (f"Types: deb\nURIs: {mirror}\nSuites: {suite}\nComponents: main\n"
            f"Signed-By: {keyring}\n")


def apt_options(base: Path) -> list[str]:
    """``-o`` options that point every piece of apt state below ``base``."""
    opts = {
        "Dir::Etc::sourcelist": base / "sources.list.d" / "debian.sources",
        "Dir::Etc::sourceparts": "-",
        "Dir::Etc::preferences": base / "preferences",
        "Dir::Etc::preferencesparts": base / "preferences.d",
        "Dir::State": base / "state",
        "Dir::State::Lists": base / "lists",
        "Dir::State::status": base / "status",
        "Dir::Cache": base / "cache",
        "Dir::Cache::archives": base / "cache" / "archives",
        "Dir::Log": base / "log",
        "APT::Get::List-Cleanup": "1",
        "Acquire::Languages": "none",
        "APT::Sandbox::User": "root",
    }
    out: list[str] = []
    for key, value in opts.items():
        out += ["-o", f"{key}={value}"]
    return out


def update_cmd(base: Path) -> list[str]:
    return ["apt-get", "-q", *apt_options(base), "update"]


def download_cmd(base: Path, packages: list[str]) -> list[str]:
    return ["apt-get", "-q", *apt_options(base), "download", *packages]


def extract_cmd(deb: Path, root: Path) -> list[str]:
    return ["dpkg-deb", "-x", str(deb), str(root)]


def prepare(base: Path, suite: str = "trixie", mirror: str = MIRROR) -> None:
    """Create the private apt tree (sources file, empty status, dirs)."""
    for d in ("sources.list.d", "preferences.d", "state", "lists/partial",
              "cache/archives/partial", "log"):
        (base / d).mkdir(parents=True, exist_ok=True)
    src = base / "sources.list.d" / "debian.sources"
    text = sources_text(suite, mirror)
    if not src.exists() or src.read_text() != text:
        src.write_text(text)
        (base / "updated").unlink(missing_ok=True)
    (base / "status").touch()


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    return subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _fail(what: str, p: subprocess.CompletedProcess) -> AptError:
    tail = "\n    ".join(p.stdout.splitlines()[-12:])
    return AptError(f"{what} failed (exit {p.returncode}); last lines:\n    {tail}")


def _fresh(base: Path, max_age: float) -> bool:
    stamp = base / "updated"
    return stamp.exists() and time.time() - stamp.stat().st_mtime < max_age


def update(suite: str = "trixie", force: bool = False, max_age: float = MAX_AGE,
           cache: Path | None = None) -> bool:
    """``apt-get update`` of the private tree unless done in the last ``max_age`` s.

    Returns True when it ran.  apt verifies InRelease with :data:`KEYRING` and
    errors out (AptError) when the signature does not verify."""
    base = apt_dir(suite, cache)
    prepare(base, suite)
    if not force and _fresh(base, max_age):
        return False
    p = _run(update_cmd(base))
    # apt-get update exits 0 on some fetch errors; treat "W:/E:" failures as errors.
    bad = [ln for ln in p.stdout.splitlines()
           if ln.startswith(("E:", "W: Failed", "W: GPG", "W: The repository", "Err:"))]
    if p.returncode != 0 or bad:
        (base / "updated").unlink(missing_ok=True)
        raise _fail(f"apt-get update for {suite}", p)
    (base / "updated").touch()
    return True


def fetch_debs(packages: list[str], dest: Path | str, suite: str = "trixie",
               cache: Path | None = None) -> list[Path]:
    """Download ``packages`` (names, or ``name=version``) from ``suite`` into ``dest``.

    No dependencies are resolved: name every package you need.  Returns the .deb
    paths.  Files already in ``dest`` for the same name are reused as apt sees fit."""
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    base = apt_dir(suite, cache)
    update(suite, cache=cache)
    p = _run(download_cmd(base, list(packages)), cwd=dest)
    if p.returncode != 0:           # stale lists (a new point release)? update once more
        update(suite, force=True, cache=cache)
        p = _run(download_cmd(base, list(packages)), cwd=dest)
        if p.returncode != 0:
            raise _fail(f"apt-get download {' '.join(packages)} from {suite}", p)
    debs = []
    for pkg in packages:
        name = pkg.split("=")[0]
        found = sorted(dest.glob(f"{name}_*.deb"), key=lambda f: f.stat().st_mtime)
        if not found:
            raise AptError(f"apt-get download said OK but no {name}_*.deb is in {dest}")
        debs.append(found[-1])
    return debs


def extract(debs: list[Path | str], root: Path | str) -> Path:
    """``dpkg-deb -x`` every .deb into ``root`` (created); returns ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        p = _run(extract_cmd(Path(deb), root))
        if p.returncode != 0:
            raise _fail(f"dpkg-deb -x {deb}", p)
    return root


def verify_release(suite: str = "trixie", keyring: Path = KEYRING,
                   cache: Path | None = None) -> str:
    """Check the cached InRelease with ``gpgv --keyring KEYRING``; returns gpgv's output."""
    base = apt_dir(suite, cache)
    rel = next((base / "lists").glob(f"*_dists_{suite}_InRelease"), None)
    if rel is None:
        raise AptError(f"no InRelease for {suite} in {base / 'lists'}: run update first")
    p = _run(["gpgv", "--keyring", str(keyring), str(rel)])
    if p.returncode != 0:
        raise _fail(f"gpgv of {rel}", p)
    return p.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coursekit.debian", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="trixie")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download .debs into DEST")
    f.add_argument("dest", type=Path)
    f.add_argument("packages", nargs="+")
    f.add_argument("--extract", type=Path, metavar="ROOT", help="also dpkg-deb -x into ROOT")
    x = sub.add_parser("extract", help="dpkg-deb -x DEBs into ROOT")
    x.add_argument("root", type=Path)
    x.add_argument("debs", nargs="+", type=Path)
    sub.add_parser("update", help="apt-get update of the private tree (forced)")
    sub.add_parser("verify", help="gpgv the cached InRelease with Debian's keyring")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "fetch":
            t0 = time.monotonic()
            debs = fetch_debs(a.packages, a.dest, a.suite)
            for d in debs:
                print(d)
            if a.extract:
                extract(debs, a.extract)
                print(f"extracted into {a.extract}")
            print(f"fetched {len(debs)} package(s) from {a.suite} in "
                  f"{time.monotonic() - t0:.1f} s", file=sys.stderr)
        elif a.cmd == "extract":
            print(extract(a.debs, a.root))
        elif a.cmd == "update":
            t0 = time.monotonic()
            update(a.suite, force=True)
            print(f"updated {apt_dir(a.suite)} in {time.monotonic() - t0:.1f} s")
        else:
            print(verify_release(a.suite))
    except AptError as err:
        print(f"❌ {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
