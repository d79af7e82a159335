"""Which parts of vigil may import which: the store stores, and only the flows know Prefect."""

import ast
from pathlib import Path

import vigil

PACKAGE = Path(vigil.__file__).parent
FLOWS = PACKAGE / "flows"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _modules(folder: Path) -> list[Path]:
    """The modules under ``folder``; in ``vigil/``, the flows (``vigil/flows`` links to the
    top-level ``flows/``) are not the core."""
    return sorted(
        path for path in folder.rglob("*.py") if FLOWS not in path.parents or folder == FLOWS
    )


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    offenders = {}
    for path in _modules(folder):
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


def test_the_flows_are_vigil_flows_never_a_top_level_flows() -> None:
    assert FLOWS.resolve() == (PACKAGE.parent / "flows").resolve()
    assert {path.name for path in _modules(FLOWS)} >= {"monitor.py", "tasks.py", "serve.py"}
    assert _offenders(FLOWS, ("flows",)) == {}  # they import each other as vigil.flows.*
    assert _offenders(PACKAGE.parent / "tests", ("flows",)) == {}


def test_the_checks_see_imports() -> None:
    # The walk finds module-level and function-level imports alike.
    assert "vigil.cluster" in _imports(PACKAGE / "pipeline" / "ingest.py")
    assert "datasketch" in _imports(PACKAGE / "cluster.py")


def test_no_module_is_over_400_lines() -> None:
    # Migrations are history, kept as written; everything else stays small enough to read.
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for folder in (PACKAGE, FLOWS, PACKAGE.parent / "benchmarks")
        for path in _modules(folder)
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_the_tests_mirror_the_package() -> None:
    # One folder of tests per subpackage (tests of top-level modules stay at tests/), so the
    # tests of a part are found where the part is.
    tests = PACKAGE.parent / "tests"
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")} - {"_bundled"}
    folders = {path.parent.name for path in tests.glob("*/__init__.py")} - {"support"}
    assert folders == subpackages
    for folder in folders:
        assert list((tests / folder).glob("test_*.py")), folder


def test_every_exception_vigil_raises_is_in_the_one_tree() -> None:
    # errors.py draws the tree; an exception class defined anywhere else would be outside it.
    defined_elsewhere = {}
    for path in _modules(PACKAGE) + _modules(FLOWS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", "")).endswith(("Error", "Exception"))
                for base in node.bases
            ):
                defined_elsewhere[node.name] = str(path.relative_to(PACKAGE.parent))
    assert defined_elsewhere["StoreError"] == "vigil/errors.py"  # the walk sees them
    defined_elsewhere = {k: v for k, v in defined_elsewhere.items() if v != "vigil/errors.py"}
    assert defined_elsewhere == {}
    from vigil import errors

    tree = errors.__doc__ or ""
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, errors.VigilError), name
            assert name in tree, f"{name} is not drawn in errors.py's tree"
            assert value.__doc__, f"{name} does not say what to do"
