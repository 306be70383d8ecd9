"""Live visuals built from the learner's own kernel at run time: a namespace
identity table and a cgroup tree.  They display data the lesson collected; the
collecting is done in the lesson's own cells."""
from __future__ import annotations

import html

NAMESPACES = ("pid", "net", "mnt", "uts", "ipc", "user", "cgroup", "time")
_PALETTE = ["#cfe8ff", "#ffe0b3", "#d5f5d5", "#f9d0e0", "#e6d9ff", "#fff3a8",
            "#d0f0f0", "#f0d8c8", "#e0e0e0"]


class HTMLTable:
    """An HTML table with a plain-text twin (for terminals and nbval)."""

    def __init__(self, html_text: str, text: str):
        self._html, self._text = html_text, text

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._text


def parse_ns_listing(text: str) -> dict[str, str]:
    """``{'net': '4026532184', ...}`` from lines like ``net net:[4026532184]``."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and "[" in parts[1]:
            out[parts[0]] = parts[1].split("[", 1)[1].rstrip("]")
    return out


def ns_table(rows: dict[str, dict[str, str]], namespaces=NAMESPACES) -> HTMLTable:
    """Processes (rows) x namespaces (columns); equal identities share a colour.

    Cells show a short letter per distinct namespace (A, B, ...) per column, so the
    table reads the same on every machine while the inode numbers stay visible
    on hover (HTML) and the text form shows which rows share."""
    head = "".join(f"<th>{n}</th>" for n in namespaces)
    body, text_rows = [], []
    letters: dict[str, dict[str, str]] = {n: {} for n in namespaces}
    for who, ids in rows.items():
        cells, trow = [], []
        for n in namespaces:
            ident = ids.get(n)
            if ident is None:
                cells.append("<td>–</td>")
                trow.append("-")
                continue
            seen = letters[n]
            seen.setdefault(ident, chr(ord("A") + len(seen)))
            k = ord(seen[ident]) - ord("A")
            colour = _PALETTE[k % len(_PALETTE)]
            cells.append(f"<td style='background:{colour};text-align:center' "
                         f"title='{n}:[{ident}]'>{seen[ident]}</td>")
            trow.append(seen[ident])
        body.append(f"<tr><th style='text-align:left'>{html.escape(who)}</th>{''.join(cells)}</tr>")
        text_rows.append(f"{who} | " + " ".join(f"{n}={c}" for n, c in zip(namespaces, trow)))
    legend = ("<p style='font-size:85%'>Same letter and colour in a column = the same "
              "namespace (hover a cell for its inode number).</p>")
    html_text = (f"<table><tr><th>process</th>{head}</tr>{''.join(body)}</table>{legend}")
    text = "\n".join(text_rows)
    return HTMLTable(html_text, text)


def cgroup_tree(entries: list[tuple[str, dict[str, str]]], root: str) -> HTMLTable:
    """A tree of cgroup directories with selected file values.

    ``entries``: ``[(path relative to root, {file: value}), ...]``."""
    lines = [root]
    for i, (path, values) in enumerate(entries):
        last = i == len(entries) - 1
        lines.append(("└── " if last else "├── ") + path)
        for j, (k, v) in enumerate(values.items()):
            pre = "    " if last else "│   "
            lines.append(pre + ("└── " if j == len(values) - 1 else "├── ") + f"{k} = {v}")
    text = "\n".join(lines)
    return HTMLTable(f"<pre>{html.escape(text)}</pre>", text)
