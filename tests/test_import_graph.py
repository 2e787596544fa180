"""No import cycle among crossref modules.

The graph is built from the source with ``ast``: top-level imports, imports
inside functions, and modules named by string to ``importlib.import_module``
(a literal module name, or an f-string's constant prefix such as
``f"crossref.commands.{name}"``, which stands for every module under it) all
count. Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crossref"


def module_files(root: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node that can run (``if TYPE_CHECKING:`` bodies skipped)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _calls_import_module(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in ("import_module", "__import__"):
                return True
    return False


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The crossref modules that ``name`` may import when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name)
                if target:
                    out.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = resolve(f"{base}.{alias.name}") if f"{base}.{alias.name}" in known else resolve(base)
                if target:
                    out.add(target)
    if _calls_import_module(tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
                out.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefix = str(node.values[0].value)
                if prefix.startswith("crossref."):
                    out.update(m for m in known if m.startswith(prefix))
    out.discard(name)
    return out


def unknown_imports(root: Path = PACKAGE) -> list[str]:
    """``module: name`` for every ``import crossref.x`` / ``from crossref.x import`` naming no module."""
    files = module_files(root)
    out = []
    for name, path in files.items():
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                targets = [node.module]
            else:
                continue
            out += [f"{name}: {t}" for t in targets if t.split(".")[0] == "crossref" and t not in files]
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    return {name: imports_of(name, path, known) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_among_crossref_modules():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_every_crossref_import_names_a_module():
    # Function-level imports run late: a renamed module must fail here, not in front of a user.
    assert unknown_imports() == []


def test_the_graph_sees_function_level_and_import_module_imports():
    graph = import_graph()
    # Function-level imports count (the pipeline imports its stages inside functions).
    assert "crossref.scoring" in graph["crossref.pipeline"]
    # Literal import_module names count (the parsers listed by format).
    assert "crossref.parsing.bts" in graph["crossref.parsing"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    pkg = tmp_path / "crossref"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import importlib\n\ndef f():\n    importlib.import_module(f'crossref.sub.{1}')\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def g():\n    from crossref.a import f\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crossref import a\n")
    graph = import_graph(pkg)
    assert graph["crossref.a"] == {"crossref.sub.b"}
    assert graph["crossref.c"] == set()
    assert cycles(graph) == [["crossref.a", "crossref.sub.b"]]


@pytest.mark.parametrize("module", ["crossref.cli"])
def test_command_modules_do_not_import_the_cli(module):
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if module in deps)
    assert not [m for m in importers if m.startswith("crossref.commands")], importers
