"""Which parts of vigil may import which: the store stores, and only the flows know Prefect."""

import ast
from pathlib import Path

import vigil

PACKAGE = Path(vigil.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    offenders = {}
    for path in sorted(folder.rglob("*.py")):
        bad = sorted(m for m in _imports(path) if m.startswith(forbidden))
        if bad:
            offenders[str(path.relative_to(PACKAGE.parent))] = bad
    return offenders


def test_the_store_imports_none_of_the_stages_above_it() -> None:
    forbidden = (
        "vigil.sources",
        "vigil.rules",
        "vigil.cluster",
        "vigil.pipeline",
        "vigil.monitor",
        "vigil.digest",
        "vigil.deliver",
        "vigil.recipients",
        "vigil.health",
        "vigil.cli",
    )
    assert _offenders(PACKAGE / "store", forbidden) == {}


def test_the_core_never_imports_prefect() -> None:
    assert _offenders(PACKAGE, ("prefect",)) == {}


def test_the_checks_see_imports() -> None:
    # The walk finds module-level and function-level imports alike.
    assert "vigil.cluster" in _imports(PACKAGE / "pipeline" / "ingest.py")
    assert "datasketch" in _imports(PACKAGE / "cluster.py")


def test_no_module_is_over_400_lines() -> None:
    # Migrations are history, kept as written; everything else stays small enough to read.
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for folder in (PACKAGE, PACKAGE.parent / "flows", PACKAGE.parent / "benchmarks")
        for path in sorted(folder.rglob("*.py"))
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
