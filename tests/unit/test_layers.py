"""The one-way rule: every import inside `korgoo` points down the layer order.

Layers, lowest first. A module may import its own layer and the layers below it,
never one above; the pure core (domain, geo, alerts, engine, figures) imports nothing
that does I/O or reads a clock; `korgoo_lab` (simulator, benchmarks) is
imported only by the entry points and the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
LAYERS = (
    "settings",
    "domain",
    "geo",
    "alerts",
    "engine",
    "figures",
    "store",
    "notify",
    "service",
    "evidence",
    "gateways",
    "apps",
    "web",
    "api",
    "entry",
    "cli",
)
RANK = {name: i for i, name in enumerate(LAYERS)}
PURE = frozenset({"domain", "geo", "alerts", "engine", "figures"})
# Pure modules of an impure layer: who is notified of what, and when to retry.
PURE_MODULES = frozenset({"korgoo.notify.model", "korgoo.notify.policy"})
# What a pure module may not import: I/O, clocks, the network, the database.
IMPURE = frozenset(
    {"asyncio", "socket", "time", "os", "sqlalchemy", "psycopg", "fastapi", "starlette",
     "httpx", "uvicorn", "aiomqtt", "paho", "structlog", "prometheus_client", "random",
     "threading", "subprocess", "korgoo_lab"}
)  # fmt: skip
LAB_IMPORTERS = frozenset({"entry", "cli"})


def layer_of(module: str) -> str:
    """'korgoo.service.pipeline' -> 'service'; 'korgoo' itself sits at the bottom."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "settings"


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module imported anywhere in the file (lazy imports in functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from korgoo import service` names a layer in the alias
            if node.module == "korgoo":
                found += [
                    (node.lineno, f"korgoo.{alias.name}")
                    for alias in node.names
                    if alias.name in RANK
                ]
    return found


def violations() -> list[str]:
    out = []
    for path in sorted((SRC / "korgoo").rglob("*.py")):
        me = module_name(path)
        mine = layer_of(me)
        assert mine in RANK, f"{me}: package '{mine}' has no place in the layer order"
        for line, target in imports(path):
            where = f"{path.relative_to(SRC)}:{line} imports {target}"
            top = target.split(".")[0]
            if top == "korgoo_lab" and mine not in LAB_IMPORTERS:
                out.append(f"{where}: only entry/ and cli.py may use the laboratory")
            pure = mine in PURE or me in PURE_MODULES
            if pure and top in IMPURE:
                out.append(f"{where}: the pure core does no I/O and reads no clock")
            if top != "korgoo" or target == "korgoo":
                continue
            if me in PURE_MODULES and layer_of(target) not in PURE and target not in PURE_MODULES:
                out.append(f"{where}: a pure module imports only the pure core")
            theirs = layer_of(target)
            if theirs not in RANK:
                out.append(f"{where}: unknown layer '{theirs}'")
            elif RANK[theirs] > RANK[mine]:
                out.append(f"{where}: '{mine}' may not import '{theirs}' (it points up)")
            elif mine in PURE and theirs not in PURE:
                out.append(f"{where}: the pure core imports only the pure core")
    return out


def test_every_import_points_down_the_layer_order() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from korgoo.api.deps import Api\n", "'store' may not import 'api'"),
        ("import korgoo.service.pipeline\n", "'store' may not import 'service'"),
        ("def f():\n    from korgoo.entry import app\n", "'store' may not import 'entry'"),
    ],
)
def test_an_upward_import_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, message: str
) -> None:
    """The walker sees top-level and lazy imports and names the broken arrow."""
    fake = tmp_path / "korgoo" / "store"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    assert any(message in v for v in violations())


def test_the_pure_core_may_not_read_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "korgoo" / "engine"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("import time\n")
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    assert any("pure core does no I/O" in v for v in violations())
