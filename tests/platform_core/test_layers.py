"""The layers of docs/architecture.md §0, as import-linter contracts (pyproject.toml,
[tool.importlinter]): apps import only the apps below them, inside an app the pages
and the API sit on services and selectors, which sit on models, and no modules import
each other in a circle. `make lint` runs `lint-imports` on the tree; these tests prove
that the contracts catch what they are for, and hold the one rule import-linter cannot
see: an import inside a function says why it is there.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"platform/collectivrecup": "collectivrecup", "platform/core": "core",
            "platform/accounts": "accounts", "tenants": "tenants",
            "analytics": "analytics", "exchange": "exchange"}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_of_the_tree(tmp_path: Path) -> Path:
    """The packages and the contracts, copied where a test may break them."""
    for source in PACKAGES:
        shutil.copytree(ROOT / source, tmp_path / source,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static",
                                                      "locale", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True,
                          text=True, env={"PYTHONPATH": "platform:.", "PATH": "/usr/bin:/bin"})


def _append_import(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_tree_keeps_its_contracts(tmp_path):
    result = _lint_imports(_copy_of_the_tree(tmp_path))
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout, result.stdout[-2000:]


@pytest.mark.parametrize(("module", "line", "broken"), [
    # a lower app importing a higher one, at module level
    ("analytics/selectors.py", "import exchange.listings.models  # noqa",
     "An app imports only the apps below it"),
    # ... and inside a function, where it used to hide
    ("platform/core/links.py",
     "def _hidden():\n    from tenants.models import Authority  # noqa\n    return Authority",
     "An app imports only the apps below it"),
    # models importing the pages of their app
    ("exchange/listings/models.py", "import exchange.listings.views  # noqa",
     "Inside an app"),
    # two modules of one app importing each other
    ("exchange/listings/photos.py", "import exchange.listings.views.listings  # noqa",
     "No two modules import each other"),
])
def test_a_deliberate_bad_import_breaks_a_contract(tmp_path, module, line, broken):
    tree = _copy_of_the_tree(tmp_path)
    _append_import(tree / module, line)
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout[-2000:]
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout


def _imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each import statement nested in a function of `path`."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child.lineno, lines[child.lineno - 1]))
            visit(child, nested)

    visit(ast.parse(source), False)
    return found


IMPORT_PART = re.compile(r"^(from |import |\)$|[\w ]+,?$)")


def _explained(lines: list[str], number: int) -> bool:
    """An import is explained by a comment on its line, or on the line above the block
    of imports it belongs to (one comment may explain a block)."""
    if "#" in lines[number - 1]:
        return True
    above = number - 2
    while above >= 0 and (code := re.sub(r"\s*#.*$", "", lines[above]).strip()) \
            and IMPORT_PART.match(code):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def application_modules() -> list[Path]:
    return sorted(path for source in PACKAGES for path in (ROOT / source).rglob("*.py")
                  if "migrations" not in path.parts)


def test_imports_inside_functions_say_why():
    unexplained = []
    for path in application_modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, text in _imports_inside_functions(path):
            if not _explained(lines, number):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert unexplained == [], (
        "Import at module level (the layers allow it), or say on the line above why it "
        "must wait for the call:\n" + "\n".join(unexplained))


def test_the_function_import_search_finds_one(tmp_path):
    """Guards the guard: a nested import without a comment is reported, with one is not."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import json\n    return json\n\n"
                      "def g():\n    # heavy, and only for this command\n    import csv\n"
                      "    import zipfile\n\n"
                      "def h():\n    x = 1\n    import io\n    return x, io\n")
    lines = module.read_text().splitlines()
    found = _imports_inside_functions(module)
    assert [number for number, _ in found] == [2, 7, 8, 12]
    assert [_explained(lines, number) for number, _ in found] == [False, True, True, False]
