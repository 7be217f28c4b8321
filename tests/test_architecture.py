"""How the modules of `playbook` may depend on each other, read from the source with
`ast` (nothing is imported):

- no feature package imports another feature's routes (routes*.py, route_helpers.py);
- no import cycle among playbook modules, counting imports at module level and
  inside functions (imports under `if TYPE_CHECKING:` never run and are not counted;
  importing `a.b.c` counts as depending on `a.b.c`, not on the package `a.b`);
- the feature packages depend on each other in one direction only;
- no module reaches into another module's `_private` names (tests neither).

The first tests check the checks on small made-up packages, so that a check that
stopped finding anything would fail here too."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "playbook"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    line: int


def module_index(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of `package` under root."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every import statement, at any depth, except under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for child in ast.iter_child_nodes(node):
            if _is_type_checking_block(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_in(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports of playbook modules made by `module`, resolved to module names."""
    found = []
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name:
                    found.append(Import(module, name, node.lineno))
            continue
        target = _absolute(module, path, node)
        for alias in node.names:
            if f"{target}.{alias.name}" in modules:
                found.append(Import(module, f"{target}.{alias.name}", node.lineno))
            elif target in modules:
                found.append(Import(module, target, node.lineno))
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        for found in imports_in(module, path, modules):
            if found.target != module:
                graph[module].add(found.target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None when the graph has none."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def feature_of(module: str, modules: dict[str, Path]) -> str | None:
    """The feature package a module belongs to (playbook.<name>, when that is a
    package), or None for the core modules directly in playbook/."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    feature = ".".join(parts[:2])
    return feature if modules[feature].name == "__init__.py" else None


def is_routes_module(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last.startswith(("routes", "route_"))


def routes_imported_across(modules: dict[str, Path]) -> list[str]:
    problems = []
    for module, path in modules.items():
        for found in imports_in(module, path, modules):
            owner = feature_of(found.target, modules)
            if (
                is_routes_module(found.target)
                and owner is not None
                and owner != feature_of(module, modules)
            ):
                problems.append(f"{path.name}:{found.line}: {module} imports {found.target}")
    return problems


def feature_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph(modules).items():
        source = feature_of(module, modules)
        if source is None:
            continue
        graph.setdefault(source, set())
        for target in targets:
            owner = feature_of(target, modules)
            if owner is not None and owner != source:
                graph[source].add(owner)
    return graph


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_reaches(path: Path, modules: dict[str, Path], module: str | None = None) -> list[str]:
    """Uses in `path` of another playbook module's _private names: `from m import _x`,
    and `m._x` where m names a playbook module (imported as a module)."""
    tree = ast.parse(path.read_text(), str(path))
    bound: dict[str, str] = {}  # local name -> playbook module it stands for
    problems = []
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        bound[top] = top
            continue
        target = _absolute(module or "", path, node) if node.level else node.module or ""
        for alias in node.names:
            if f"{target}.{alias.name}" in modules:
                bound[alias.asname or alias.name] = f"{target}.{alias.name}"
            elif target in modules and target != module and _private(alias.name):
                problems.append(f"{path.name}:{node.lineno}: from {target} import {alias.name}")
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and _private(node.attr)):
            continue
        owner = _dotted(node.value, bound)
        if owner in modules and owner != module:
            problems.append(f"{path.name}:{node.lineno}: {owner}.{node.attr}")
    return problems


def _dotted(node: ast.AST, bound: dict[str, str]) -> str | None:
    """The module an expression like `services` or `playbook.library.search` names."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, bound)
        return f"{base}.{node.attr}" if base else None
    return None


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# --- the checks find what they look for -------------------------------------------


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from app import b\n",
            "app/b.py": "def later():\n    from app.c import thing\n",
            "app/c.py": "from . import a\nthing = 1\n",
            "app/d.py": "from app import a\n",
        },
    )
    cycle = find_cycle(import_graph(module_index(tmp_path, "app")))
    assert cycle == ["app.a", "app.b", "app.c", "app.a"]


def test_imports_only_for_type_checking_are_not_a_cycle(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import b\n",
            "app/b.py": "import app.a\n",
        },
    )
    assert find_cycle(import_graph(module_index(tmp_path, "app"))) is None


def test_importing_another_features_routes_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/one/__init__.py": "",
            "app/one/routes.py": "from app.one import route_helpers\n",
            "app/one/route_helpers.py": "",
            "app/two/__init__.py": "",
            "app/two/queries.py": "from app.one.route_helpers import x\n",
            "app/two/routes.py": "from app.one import routes, queries\n",
        },
    )
    problems = routes_imported_across(module_index(tmp_path, "app"))
    assert [p.split(": ", 1)[1] for p in problems] == [
        "app.two.queries imports app.one.route_helpers",
        "app.two.routes imports app.one.routes",
    ]


def test_features_depending_on_each_other_both_ways_are_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core.py": "",
            "app/one/__init__.py": "",
            "app/one/queries.py": "from app import core\n",
            "app/one/routes.py": "from app.two import queries\n",
            "app/two/__init__.py": "",
            "app/two/queries.py": "",
            "app/two/forms.py": "from app.one.queries import thing\n",
        },
    )
    graph = feature_graph(module_index(tmp_path, "app"))
    assert graph == {"app.one": {"app.two"}, "app.two": {"app.one"}}
    assert find_cycle(graph) == ["app.one", "app.two", "app.one"]


def test_reaching_into_private_names_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/search.py": "def _index(): ...\ndef _helper(): ...\nx = _index()\n",
            "app/services.py": (
                "import app.search\n"
                "from app import search as s\n"
                "from app.search import _helper\n"
                "s._index()\n"
                "app.search._index()\n"
                "s.__name__\n"
                "self_like = object()\nself_like._private\n"
            ),
        },
    )
    modules = module_index(tmp_path, "app")
    assert private_reaches(modules["app.search"], modules, "app.search") == []
    assert sorted(private_reaches(modules["app.services"], modules, "app.services")) == [
        "services.py:3: from app.search import _helper",
        "services.py:4: app.search._index",
        "services.py:5: app.search._index",
    ]


# --- the project follows the rules -------------------------------------------------


def test_no_feature_imports_another_features_routes():
    assert routes_imported_across(module_index(ROOT)) == []


def test_no_import_cycle_among_playbookmodule_index():
    cycle = find_cycle(import_graph(module_index(ROOT)))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_feature_packages_depend_on_each_other_in_one_direction():
    graph = feature_graph(module_index(ROOT))
    assert len(graph) >= 8  # the checker sees the feature packages
    cycle = find_cycle(graph)
    assert cycle is None, "features depend on each other in a circle: " + " -> ".join(cycle or [])


def test_no_module_reaches_into_another_modules_private_names():
    modules = module_index(ROOT)
    problems = []
    for module, path in modules.items():
        problems += [f"{module}: {p}" for p in private_reaches(path, modules, module)]
    for path in sorted((ROOT / "tests").rglob("*.py")):
        problems += [f"tests: {p}" for p in private_reaches(path, modules)]
    assert problems == []
