"""Dependency arrows point down: handlers -> ws/api -> analysis/agent -> domain, never back up.

The import graph is read from the source (every ``import`` and ``from ... import``, including those
inside functions and TYPE_CHECKING blocks: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "layers" / "calledit" / "calledit"
HANDLERS = ROOT / "handlers"

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "domain",
        (
            "calledit",
            "calledit.errors",
            "calledit.validation",
            "calledit.clock",
            "calledit.settings",
            "calledit.clarification",
            "calledit.prediction",
            "calledit.verifiability",
            "calledit.tagging",
            "calledit.export",
            "calledit.verdict",
            "calledit.saved",
            "calledit.usage",
            "calledit.protocol",
            "calledit.lifecycle",
            "calledit.framelog",
            "calledit.timeparse",
            "calledit.tools",
            "calledit.tool_results",
            "calledit.budget",
            "calledit.grounding",
            "calledit.parsing",
            "calledit.prompting",
            "calledit.scoring",
            "calledit.aws",
            "calledit.logs",
            "calledit.metrics",
        ),
    ),
    ("storage", ("calledit.storage",)),
    ("auth", ("calledit.auth",)),
    (
        "agents",
        (
            "calledit.providers",
            "calledit.agent",
            "calledit.agent_run",
            "calledit.clarify_tool",
            "calledit.analysis",
            "calledit.verification",
        ),
    ),
    ("edges", ("calledit.ws", "calledit.api", "calledit.scheduled")),
    ("entry", ("calledit.cli", "calledit.snapstart", "calledit.evaluation", "calledit.local")),
]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {imp for imp in imports_of(path, name) if imp in modules and imp != name}
        for name, path in modules.items()
    }


def layer_of(module: str) -> int:
    best = -1, 0
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) >= best[1]:
                best = index, len(prefix)
    assert best[0] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def test_every_module_has_a_layer_and_no_arrow_points_up() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_there_are_no_import_cycles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    # A package's __init__ re-exporting its own submodule is not a cycle that matters.
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c[1:])]
    assert real == []


def test_handlers_are_thin_and_never_reach_the_local_stack() -> None:
    for path in HANDLERS.glob("*.py"):
        imported = set(imports_of(path, path.stem))
        assert not any(i.startswith("calledit.local") for i in imported), path.name
        assert len(path.read_text().splitlines()) <= 40, f"{path.name}: move logic into the package"


def test_the_lambda_layer_ships_neither_the_local_stack_nor_the_evaluation_data() -> None:
    makefile = (ROOT / "layers" / "calledit" / "Makefile").read_text()
    assert '"local"' in makefile and '"evaluation"' in makefile
