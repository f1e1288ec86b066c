"""The package's imports: one-way dependencies and no stale names.

Read statically (``ast``), so that imports inside functions count too: a circle made of deferred
imports works until someone moves one of them to the top of its module, and a stale import inside
a function fails only when that function runs. (Importing every module in a fresh interpreter
instead took 24 s on the 2-core machine and sees neither.)
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "parametricSN"
# Every Python file of the repository that may import the package (scripts, examples, tests too).
SOURCES = [path for folder in (PACKAGE, "experiments", "competition", "examples", "benchmarks", "tests")
           for path in sorted((ROOT / folder).rglob("*.py"))]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


def imports(path: Path):
    """(line, module, name or None) of every absolute import of the package anywhere in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, None) for alias in node.names
                        if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] == PACKAGE:
            yield from ((node.lineno, node.module, alias.name) for alias in node.names)


def imported_module(module: str, name) -> str:
    """The package module an import makes ``path`` depend on (a submodule when ``name`` is one)."""
    return f"{module}.{name}" if f"{module}.{name}" in MODULES else module


def top_level_imports(path: Path) -> set:
    """Names a module binds at its top by importing them."""
    return {(alias.asname or alias.name).split(".")[0]
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}


def top_level_names(path: Path) -> set:
    """Names bound at the top of a module (also inside top-level if / try / with blocks)."""
    names, body = set(), list(ast.parse(path.read_text(encoding="utf-8")).body)
    while body:
        node = body.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            body += node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", [])
            body += [n for handler in getattr(node, "handlers", []) for n in handler.body]
    return names


def find_circle(graph: dict):
    """One circle of ``graph`` (module -> set of modules) as a list [a, b, …, a], or None."""
    state: dict = {}  # module -> "open" while on the current path, "done" once fully explored
    path: list = []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_find_circle_finds_one():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_the_package_imports_one_way():
    graph = {module: {imported_module(m, name) for _, m, name in imports(path)} - {module}
             for module, path in MODULES.items()}
    assert find_circle(graph) is None, " -> ".join(find_circle(graph))


def test_the_store_layer_imports_nothing_of_runs():
    store = {imported_module(m, name) for _, m, name in imports(MODULES["parametricSN.tracking.store"])}
    assert store <= {"parametricSN.errors"}, store


def test_every_import_of_the_package_names_something_that_exists():
    defined = {module: top_level_names(path) for module, path in MODULES.items()}
    stale = []
    for path in SOURCES:
        for line, module, name in imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if module not in MODULES:
                stale.append(f"{where}: no module {module}")
            elif name not in (None, "*") and f"{module}.{name}" not in MODULES and name not in defined[module]:
                stale.append(f"{where}: {module} has no {name}")
    assert not stale, "\n".join(stale)



def test_names_are_taken_from_the_module_that_defines_them():
    # No module serves as a shim for a name it only imports (a package's __init__, which states its
    # public API, may); a re-export kept "for compatibility" is what this rules out.
    passed_on = {module: top_level_imports(path) for module, path in MODULES.items() if path.name != "__init__.py"}
    second_hand = [f"{path.relative_to(ROOT)}:{line}: {name} from {module}, which only imports it"
                   for path in SOURCES for line, module, name in imports(path)
                   if name in passed_on.get(module, ()) and f"{module}.{name}" not in MODULES]
    assert not second_hand, "\n".join(second_hand)
