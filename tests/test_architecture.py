"""Dependencies run one way: a module imports only its own package or a lower layer.

The layers are the ones ``docs/architecture.md`` draws; this test reads every
``import`` statement of the package (at any depth, lazy imports included;
``if TYPE_CHECKING:`` blocks are exempt) and fails on one that runs up the
chain or sideways into another package of the same layer.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "deeplabcut"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

PEP = "deeplabcut.pose_estimation_pytorch"

# (layer, package). Lowest first; must match the table in docs/architecture.md.
LAYERS: list[tuple[int, str]] = [
    (0, "deeplabcut.errors"),
    (1, "deeplabcut.utils"),
    (1, "deeplabcut.geometry"),
    (2, "deeplabcut.video"),
    (2, "deeplabcut.formats"),
    (2, "deeplabcut.metrics"),
    (3, "deeplabcut.project"),
    (4, f"{PEP}.config"),
    (4, "deeplabcut.synthetic"),
    (4, "deeplabcut.post_processing"),
    (5, "deeplabcut.training_dataset"),
    (6, f"{PEP}.data"),
    (7, f"{PEP}.models"),
    (8, f"{PEP}.runtime"),
    (9, f"{PEP}.train_module"),
    (9, f"{PEP}.inference"),
    (10, "deeplabcut.tracking"),
    (11, "deeplabcut.visualization"),
    (12, f"{PEP}.apis"),
    (13, "deeplabcut.refine_training_dataset"),
    (14, PEP),
    (14, "deeplabcut"),  # the top-level modules only: see TOP_LEVEL
]
TOP_LAYER = LAYERS[-1][0]
# The top-level namespace and the entry points built on it form one package.
TOP_LEVEL = {"deeplabcut", "deeplabcut.cli", "deeplabcut.demo", "deeplabcut.__main__"}


def package_of(module: str) -> tuple[int, str]:
    """The (layer, package) that owns ``module``: the longest matching package name."""
    if module in TOP_LEVEL:
        return TOP_LAYER, "deeplabcut"
    best = None
    for layer, package in LAYERS:
        if module == package or (package != "deeplabcut" and module.startswith(package + ".")):
            if best is None or len(package) > len(best[1]):
                best = (layer, package)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS and docs/architecture.md")
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every deeplabcut import in ``path``, outside ``if TYPE_CHECKING:``."""
    return imports_in_source(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in_source(text: str, own: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` for every deeplabcut import in the source ``text`` of module ``own``."""
    tree = ast.parse(text)
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = own.split(".") if is_package else own.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.append((child.lineno, target))
                # ``from deeplabcut import tracking`` imports a package, not the top level
                packages = {package for _, package in LAYERS}
                for alias in child.names:
                    if f"{target}.{alias.name}" in packages:
                        found[-1] = (child.lineno, f"{target}.{alias.name}")
            visit(child)

    visit(tree)
    return [(line, name) for line, name in found if name == "deeplabcut" or name.startswith("deeplabcut.")]


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_run_down_the_chain(path: Path) -> None:
    own_layer, own_package = package_of(module_name(path))
    wrong = []
    for line, target in imported_modules(path):
        layer, package = package_of(target)
        if package == own_package:
            continue
        if layer >= own_layer:
            wrong.append(f"line {line}: {target} ({package}, layer {layer})")
    assert not wrong, (
        f"{path.relative_to(SRC)} is in {own_package} (layer {own_layer}) and imports upward or sideways:\n  "
        + "\n  ".join(wrong)
        + "\nMove the shared code down a layer, or the importing code up (see docs/architecture.md)."
    )


def test_layers_match_the_documented_table() -> None:
    """docs/architecture.md lists the same packages in the same layers."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    documented = set()
    for row in re.findall(r"^\|\s*(\d+)\s*\|(.+)\|", text, flags=re.MULTILINE):
        for name in re.findall(r"`([\w.]+)`", row[1]):
            full = name if name.startswith("deeplabcut") else f"deeplabcut.{name}"
            documented.add((int(row[0]), full))
    expected = {(layer, package) for layer, package in LAYERS if layer < TOP_LAYER}
    assert expected <= documented, f"missing from docs/architecture.md: {sorted(expected - documented)}"


def test_every_package_has_a_layer() -> None:
    for path in _sources():
        package_of(module_name(path))


def test_the_checker_sees_lazy_relative_and_package_imports() -> None:
    """The walk is not vacuous: lazy, relative and ``from package import module`` forms are all seen."""
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from deeplabcut.visualization import plot_learning_curve\n"
        "def f():\n"
        "    from deeplabcut.pose_estimation_pytorch.train_module import trainer\n"
        "from ..errors import ConfigError\n"
        "from deeplabcut import tracking\n"
    )
    names = [name for _, name in imports_in_source(text, "deeplabcut.metrics.pose", is_package=False)]
    assert names == [f"{PEP}.train_module", "deeplabcut.errors", "deeplabcut.tracking"]
    assert package_of(names[0])[0] > package_of("deeplabcut.metrics.pose")[0]
