"""A log file handed to a child process (subprocess.Popen stdout=/stderr=/stdin=) is
closed in the parent once the child has it: the child keeps its own descriptor, and a
long-lived parent (a notebook kernel starting registries) must not leak one per child.

Checked on the source (AST) of coursekit/, bench/, scripts/ and tests/: the handle must
come from a `with open(...) as f:` around the Popen, or be closed with `f.close()` in the
same function -- never `stdout=open(...)` inline."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STREAMS = ("stdout", "stderr", "stdin")


def _is_open(node) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "open")


def _is_popen(node) -> bool:
    f = node.func
    return isinstance(node, ast.Call) and (
        (isinstance(f, ast.Attribute) and f.attr == "Popen") or (isinstance(f, ast.Name) and f.id == "Popen"))


def leaks(source: str, filename: str = "<src>") -> list[str]:
    tree = ast.parse(source, filename)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def scope(node):
        while node in parents and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node = parents[node]
        return node

    def in_with_binding(node, name) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.With, ast.AsyncWith)) and any(
                    isinstance(i.optional_vars, ast.Name) and i.optional_vars.id == name
                    for i in node.items):
                return True
        return False

    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and _is_popen(call)):
            continue
        for kw in call.keywords:
            if kw.arg not in STREAMS:
                continue
            where = f"{filename}:{call.lineno}: {kw.arg}="
            if _is_open(kw.value):
                found.append(where + "open(...) is never closed in the parent")
            elif isinstance(kw.value, ast.Name):
                name, body = kw.value.id, scope(call)
                opened = any(isinstance(n, ast.Assign) and _is_open(n.value)
                             and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
                             for n in ast.walk(body))
                closed = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                             and n.func.attr == "close" and isinstance(n.func.value, ast.Name)
                             and n.func.value.id == name for n in ast.walk(body))
                if opened and not closed and not in_with_binding(call, name):
                    found.append(where + f"{name}: opened, never closed in the parent")
    return found


def test_no_child_log_handle_is_left_open():
    found = []
    for d in ("coursekit", "bench", "scripts", "tests"):
        for path in sorted((ROOT / d).rglob("*.py")):
            found += leaks(path.read_text(), str(path.relative_to(ROOT)))
    assert found == []


def test_the_check_sees_both_leaks():
    inline = "import subprocess\np = subprocess.Popen(['x'], stdout=open('log', 'wb'))\n"
    named = "def f():\n    log = open('l', 'ab')\n    return subprocess.Popen(['x'], stdout=log)\n"
    assert len(leaks(inline)) == 1 and len(leaks(named)) == 1
    closed = named.replace("    return", "    p = subprocess.Popen(['x'], stdout=log)\n"
                                     "    log.close()\n    return p\n    return")
    with_ = "def f():\n    with open('l', 'ab') as log:\n        p = subprocess.Popen(['x'], stdout=log)\n"
    assert leaks(closed) == [] and leaks(with_) == []
