"""The licences the book states are the files in the repository: the code under MIT
(pyproject's `license`, the file LICENSE), the lesson text under CC BY 4.0
(LICENSE-lessons), and book/license.md names both files."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_code_licence_is_mit_as_pyproject_says():
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert re.search(r"Copyright \(c\) \d{4} The Linux containers course authors", text)
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_lesson_licence_is_cc_by_4():
    text = (ROOT / "LICENSE-lessons").read_text()
    assert "Creative Commons Attribution 4.0 International License (CC BY 4.0)" in text
    assert CC_BY in text
    assert "The Linux containers course authors" in text


def test_the_book_page_names_both_files():
    page = (ROOT / "book" / "license.md").read_text()
    assert "`LICENSE`" in page and "`LICENSE-lessons`" in page
    assert "CC BY 4.0" in page and "MIT" in page and CC_BY in page
