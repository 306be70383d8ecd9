"""Write the course's timings (book/timings.yml, the one source) into each lesson's
header, the learning path, the instructor's schedule and the introduction.

    python scripts/timings.py          rewrite the files
    python scripts/timings.py --check  exit 1 (and name the file) when one is stale
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
T = yaml.safe_load((ROOT / "book" / "timings.yml").read_text())
HEADER = re.compile(r"^\*Teaching: \d+ min( · Exercises: \d+ min)?\*\n\n", re.M)


def hm(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def header(name: str) -> str:
    t = T["lessons"][name]
    return f"*Teaching: {t['teach']} min" + (f" · Exercises: {t['exercises']} min" if t["exercises"] else "") + "*\n\n"


def notebook(path: Path) -> str:
    nb = json.loads(path.read_text())
    first = nb["cells"][0]
    text = HEADER.sub("", "".join(first["source"]))
    title, rest = text.split("\n\n", 1)
    first["source"] = f"{title}\n\n{header(path.stem)}{rest}".splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def totals() -> tuple[int, int]:
    """Minutes of teaching and of exercises over the whole course."""
    return (sum(t["teach"] for t in T["lessons"].values()),
            sum(t["exercises"] for t in T["lessons"].values()))


def path_md(text: str) -> str:
    def row(m):
        t = T["lessons"][m.group(2)]
        return f"{m.group(1)}{t['teach']} min" + (f" + {t['exercises']} min exercises" if t["exercises"] else "") + " |"
    text = re.sub(r"^(\|.*<\.\./notebooks/(\w+)>`.*\| )[^|]*\|$", row, text, flags=re.M)
    teach, exercises = totals()
    return re.sub(r"^In all: .*$", f"In all: {teach} min of lessons and {exercises} min of exercises.",
                  text, flags=re.M)


def instructor_md(text: str) -> str:
    clock, out, prev = 0, [], None   # prev: the lesson before a break row
    for line in text.split("\n"):
        m = re.match(r"^\| [\d:]+-[\d:]+ \| (.*)$", line)
        if m:
            lesson = re.search(r"<\.\./notebooks/(\w+)>", line)
            if lesson:
                t = T["lessons"][lesson.group(1)]
                length = t["teach"] + t["exercises"]
            elif m.group(1).startswith("break"):
                length = T["breaks_after"][prev]
            else:
                length = T["wrap_up"]
            line = f"| {hm(clock)}-{hm(clock + length)} | {m.group(1)}"
            clock += length
            prev = lesson.group(1) if lesson else None
        out.append(line)
    text = "\n".join(out)
    return re.sub(r"^## Schedule \(.*\)$", f"## Schedule (one day: {hm(clock)}, breaks included)",
                  text, flags=re.M)


def intro_md(text: str) -> str:
    teach, exercises = totals()
    return re.sub(r"^About .* for the whole path(?: \(.*\))?; see the$",
                  f"About {round((teach + exercises) / 60, 1):g} hours for the whole path ({teach} min of "
                  f"lessons, {exercises} min of exercises); see the", text, flags=re.M)


def targets() -> dict[Path, str]:
    out = {p: notebook(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    for name, fn in (("path.md", path_md), ("instructor.md", instructor_md), ("intro.md", intro_md)):
        p = ROOT / "book" / name
        out[p] = fn(p.read_text())
    return out


def main(argv: list[str]) -> int:
    stale = {p: text for p, text in targets().items() if p.read_text() != text}
    if "--check" in argv:
        for p in stale:
            print(f"stale timings in {p.relative_to(ROOT)}: run `python scripts/timings.py`")
        return 1 if stale else 0
    for p, text in stale.items():
        p.write_text(text)
        print("wrote", p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
