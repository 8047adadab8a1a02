"""The layer rules of the package, checked on the source tree (AST, no imports executed).

LAYERS (lowest first; this docstring is where the rules live, ``RANK`` below enforces them)

0. ``_utils`` — errors, atomic files, run folders, declared parameters (``params``), typed numbers
   (``quantity``), metrics-schema declarations, run-time limits. Imports nothing of the package above it.
1. ``data`` — containers (Recording, trials, binning) and file I/O.
2. ``datasets`` — built-in and synthetic data.
3. domain packages (``decoding``, ``latents``, ``dynamics``, ``theory``, ``learning``, ``simulation``,
   ``connectomics``, ``units``, ``morphology``, ``imaging``) — never import each other (except the pairs in
   ``ALLOWED_CROSS``: learning may use simulation).
4. ``analyses`` — cross-domain science as pure functions (may import any domain package; write no file,
   draw no figure, change no global state): what a report computes, callable directly.
5. ``plotting`` — ``plot_*(..., ax=None)`` functions; never switch the matplotlib backend.
6. ``pipeline`` — commands: parameters, ``compute`` -> typed result, ``render``, ``execute`` (run folders).
7. ``_cli`` / ``cli.py`` — argument parsing generated from the commands' parameters; one printed line.

A module imports only its own layer or lower ones.
"""
import ast
import importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "neurodiscovery"
DOMAIN = {"decoding", "latents", "dynamics", "theory", "learning", "simulation", "connectomics", "units",
          "morphology", "imaging", "sorting"}
RANK = {"_utils": 0, "data": 1, "datasets": 2, **{d: 3 for d in DOMAIN}, "analyses": 4, "plotting": 5,
        "pipeline": 6, "_cli": 7, "cli": 7}
# learning may use simulation (STDP) per DESIGN.md
ALLOWED_CROSS = {("learning", "simulation")}


def _imports(path: Path, package: list[str]):
    """Absolute names of the modules imported by ``path`` (relative imports resolved)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = anchor + ([node.module] if node.module else [])
                if node.module:
                    yield ".".join(base)
                else:  # "from . import x": each name is a module of the anchor package
                    yield from (".".join(base + [a.name]) for a in node.names)
            elif node.module:
                yield node.module
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name


def _top(mod: str) -> str | None:
    parts = mod.split(".")
    if parts[0] != "neurodiscovery" or len(parts) == 1:
        return None
    return parts[1]


def _layer(rel: Path) -> str | None:
    parts = rel.parts  # ("neurodiscovery", "<layer>", ...) or ("neurodiscovery", "cli")
    if len(parts) == 2:
        return "cli" if parts[1] == "cli" else None  # the top-level __init__ only imports lazily
    return parts[1]


def _violations(root: Path = PKG):
    bad = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        layer = _layer(rel)
        if layer is None:
            continue
        if layer not in RANK:
            bad.append(f"{rel}: layer '{layer}' is not classified in tests/test_layers.py RANK")
            continue
        package = list(rel.parts[:-1])
        for mod in _imports(path, package):
            tgt = _top(mod)
            if tgt is None or tgt == layer or tgt == "__version__":
                continue
            if tgt not in RANK:
                continue  # a name imported from the top-level package (e.g. __version__)
            if RANK[tgt] > RANK[layer]:
                bad.append(f"{rel}: {layer} imports higher layer {mod}")
            elif layer in DOMAIN and tgt in DOMAIN and (layer, tgt) not in ALLOWED_CROSS:
                bad.append(f"{rel}: {layer} imports sibling domain {mod}")
    return bad


def test_layer_rule():
    assert _violations() == []


@pytest.mark.parametrize("layer, code, msg", [
    ("data", "from ..pipeline import analyze\n", "data imports higher layer neurodiscovery.pipeline"),
    ("datasets", "from ..decoding import WienerFilter\n", "datasets imports higher layer"),
    ("units", "from ..decoding import x\n", "units imports sibling domain"),
    ("plotting", "from ..pipeline import report\n", "plotting imports higher layer"),
])
def test_checker_detects_a_violation(tmp_path, layer, code, msg):
    fake = tmp_path / "neurodiscovery" / layer
    fake.mkdir(parents=True)
    (fake / "x.py").write_text(code)
    assert any(msg in v for v in _violations(tmp_path / "neurodiscovery"))


def test_cli_module_is_checked(tmp_path):
    root = tmp_path / "neurodiscovery"
    (root / "data").mkdir(parents=True)
    (root / "data" / "x.py").write_text("from .. import cli\n")
    assert any("data imports higher layer neurodiscovery.cli" in v for v in _violations(root))


def test_every_subpackage_resolves_lazily():
    import neurodiscovery as nd

    on_disk = {p.parent.name for p in PKG.glob("*/__init__.py") if not p.parent.name.startswith("_")}
    assert on_disk | {"cli"} == set(nd._SUBPACKAGES)
    for name in nd._SUBPACKAGES:
        assert getattr(nd, name) is importlib.import_module(f"neurodiscovery.{name}")
