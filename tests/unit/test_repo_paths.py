"""Every repository path named in the course's code, docs and tooling exists: a page,
script or test that was renamed or never written is caught here, not by a reader.

Scanned: coursekit/, workshop/ (not vendor/), book/, scripts/, tests/, bench/, .github/,
.ci/, .devcontainer/, README.md, CONTRIBUTING.md, Makefile, pyproject.toml,
environment.yml, _toc.yml, _config.yml (not this file's examples).  Not CHANGELOG.md: history may name files
that are gone."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("book", "workshop", "notebooks", "exercises", "tests", "scripts", "coursekit", "bench",
       ".github", ".ci", ".devcontainer")
REF = re.compile(r"(?<![\w./-])((?:%s)/[\w./-]*\.(?:md|py|yml|yaml|ipynb|sh|cfg|json|toml|txt))\b"
                 % "|".join(re.escape(t) for t in TOP))
DIRS = ("coursekit", "workshop", "book", "scripts", "tests", "bench", ".github", ".ci", ".devcontainer")
FILES = ("README.md", "CONTRIBUTING.md", "Makefile", "pyproject.toml", "environment.yml",
         "_toc.yml", "_config.yml", ".pre-commit-config.yaml")
SUFFIXES = {".py", ".md", ".yml", ".yaml", ".sh", ".cfg", ".json", ".toml", ".txt", ""}
# (file, path): why a path that is not in the repository is named there anyway
NOT_FILES = {
    ("tests/browser/test_widget_layout.py", "notebooks/zz_widget_layout.ipynb"):
        "the test writes this notebook into the lab server itself",
}


def scanned(root: Path = ROOT):
    for d in DIRS:
        for p in sorted((root / d).rglob("*")):
            rel = p.relative_to(root)
            if (p.is_file() and p.suffix in SUFFIXES and "vendor" not in rel.parts
                    and p != Path(__file__).resolve()           # its own examples
                    and "__pycache__" not in rel.parts and ".ipynb_checkpoints" not in rel.parts):
                yield p
    for f in FILES:
        if (root / f).is_file():
            yield root / f


def missing_references(root: Path = ROOT) -> dict[tuple[str, str], int]:
    """(file, referenced path) -> line, for each referenced path that does not exist."""
    missing = {}
    for p in scanned(root):
        try:
            text = p.read_text()
        except UnicodeDecodeError:
            continue
        for m in REF.finditer(text):
            ref = m.group(1).rstrip(".")
            if not (root / ref).exists():
                missing[(str(p.relative_to(root)), ref)] = text.count("\n", 0, m.start()) + 1
    return missing


def test_every_referenced_path_exists():
    missing = {k: line for k, line in missing_references().items() if k not in NOT_FILES}
    assert not missing, "named but not in the repository:\n" + "\n".join(
        f"  {f}:{line}: {ref}" for (f, ref), line in sorted(missing.items()))


def test_the_exceptions_are_still_needed():
    assert set(NOT_FILES) <= set(missing_references()), "remove the stale NOT_FILES entries"


def test_the_scan_sees_a_missing_file(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "capacity.md").write_text("# capacity\n")
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "cli.py").write_text(
        'HELP = "see book/capacity.md; per node: workshop/CAPACITY.md."\n')
    assert missing_references(tmp_path) == {("coursekit/cli.py", "workshop/CAPACITY.md"): 1}
