"""reveal.js slides from the lesson notebooks (nbconvert), with reveal.js, jQuery and
RequireJS copied next to them, so they open offline."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..paths import ROOT, WORKSHOP_DIR

VENDOR = WORKSHOP_DIR / "vendor"
SLIDES_TEMPLATE = WORKSHOP_DIR / "slides_template"


def slide_types(nb) -> None:
    """Mark slides in place: a ``#``/``##`` heading starts a slide, ``###`` a sub-slide,
    everything else continues the current one (the lesson source stays as it is)."""
    for i, cell in enumerate(nb.cells):
        src = cell.source.lstrip()
        kind = "-"
        if cell.cell_type == "markdown" and (src.startswith("# ") or src.startswith("## ")):
            kind = "slide"
        elif cell.cell_type == "markdown" and src.startswith("### "):
            kind = "subslide"
        if i == 0:
            kind = "slide"
        cell.metadata.setdefault("slideshow", {})["slide_type"] = kind


def slides(out: Path = ROOT / "_build" / "slides", notebooks: list[Path] | None = None,
           quiet: bool = False) -> list[Path]:
    """reveal.js slides for each lesson (stored outputs included), openable offline."""
    import nbformat
    from nbconvert import SlidesExporter
    notebooks = notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    out.mkdir(parents=True, exist_ok=True)
    vendor = out / "vendor"
    shutil.rmtree(vendor, ignore_errors=True)
    shutil.copytree(VENDOR, vendor)
    shutil.copy2(ROOT / "book" / "_static" / "vendor" / "require.js", vendor / "require.js")
    exporter = SlidesExporter(template_name=SLIDES_TEMPLATE.name,
                              extra_template_basedirs=[str(SLIDES_TEMPLATE.parent)],
                              reveal_url_prefix="vendor/reveal.js", reveal_scroll=True,
                              reveal_theme="white", jquery_url="vendor/jquery.min.js",
                              require_js_url="vendor/require.js")
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        slide_types(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        # links to the book's pages point at the built site next to the slides
        body = re.sub(r'href="\.\./book/([\w-]+)\.md', r'href="../html/book/\1.html', body)
        target = out / f"{path.stem}.slides.html"
        target.write_text(body)
        written.append(target)
        if not quiet:
            print(f"  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    if not quiet:
        print(f"{len(written)} slide decks in {out}; open one in a browser (works offline); "
              "press S for speaker notes")
    return written
