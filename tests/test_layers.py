"""The layer rule of DESIGN.md, checked on the source tree (AST, no imports executed)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "neurodiscovery"
DOMAIN = {"decoding", "latents", "dynamics", "theory", "learning", "simulation", "connectomics", "units",
          "morphology"}
# learning may use simulation (STDP) per DESIGN.md
ALLOWED_CROSS = {("learning", "simulation")}


def _imports(path: Path, package: list[str]):
    """Absolute names of the modules imported by ``path`` (relative imports resolved)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                yield ".".join(anchor + ([node.module] if node.module else []))
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


def _violations(root: Path = PKG):
    bad = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        package = list(rel.parts[:-1])  # a module's package; an __init__'s package is its folder
        if len(package) < 2:
            continue
        layer = package[1]
        for mod in _imports(path, package):
            tgt = _top(mod)
            if tgt is None or tgt == layer:
                continue
            if layer == "data" and tgt != "_utils":
                bad.append(f"{rel}: data imports {mod}")
            if layer == "_utils" and tgt not in ("_utils",) and mod != "neurodiscovery":
                bad.append(f"{rel}: _utils imports {mod}")
            if layer in DOMAIN | {"datasets", "plotting"} and tgt in ("pipeline", "cli", "_cli"):
                bad.append(f"{rel}: {layer} imports {mod}")
            if layer in DOMAIN and tgt in DOMAIN and (layer, tgt) not in ALLOWED_CROSS:
                bad.append(f"{rel}: {layer} imports sibling domain {mod}")
    return bad


def test_layer_rule():
    assert _violations() == []


def test_checker_detects_a_violation(tmp_path):
    fake = tmp_path / "neurodiscovery" / "data"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("from ..pipeline import analyze\n")
    assert any("data imports neurodiscovery.pipeline" in v for v in _violations(tmp_path / "neurodiscovery"))
