"""The design's picture holds in the code: no module imports upward.

wire <- actors <- world <- lesson / tools <- ui, views beside them reading only
the wire; mock_servers knows nothing of the playground; only the UI imports
Streamlit (DESIGN.md, "Folders").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each part of the tree may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "mock_servers": set(),
    "playground.wire": {"mock_servers"},
    "playground.actors": {"playground.wire", "mock_servers"},
    "playground.world": {"playground.actors", "playground.wire", "mock_servers"},
    "playground.views": {"playground.wire", "mock_servers"},
    "playground.lesson": {
        "playground.world",
        "playground.views",
        "playground.actors",
        "playground.wire",
        "mock_servers",
    },
    "playground.tools": {
        "playground.world",
        "playground.views",
        "playground.wire",
        "mock_servers",
    },
}


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def part_of(module: str) -> str | None:
    """The key of ALLOWED a module belongs to (the longest that prefixes it)."""
    keys = [key for key in ALLOWED if module == key or module.startswith(key + ".")]
    return max(keys, key=len) if keys else None


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("mock_servers", "playground"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), path))
    return found


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_module_imports_only_what_its_layer_may(name: str, path: Path) -> None:
    layer = part_of(name)
    imported = project_imports(path)
    if not name.startswith("playground.ui"):
        assert not {i for i in imported if i.split(".")[0] == "streamlit"}, (
            f"{name} imports Streamlit; only playground.ui may"
        )
    if layer is None:
        return  # the package root, the CLI and the UI may use everything above
    own = {layer}
    for target in imported:
        if target.split(".")[0] not in ("mock_servers", "playground"):
            continue
        target_layer = part_of(target) or target
        assert target_layer in own | ALLOWED[layer], (
            f"{name} imports {target}: {layer} may import only {sorted(ALLOWED[layer])}"
        )
