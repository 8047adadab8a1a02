"""``nd.plotting`` is the one home of the plotting API: every public ``plot_*`` of the package is
reachable from it, resolves to the defining function, and none switches the matplotlib backend."""
import ast
import subprocess
import sys
from pathlib import Path

import neurodiscovery as nd

SRC = Path(nd.__file__).resolve().parent


def _defined_plot_functions() -> dict[str, str]:
    found = {}
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("plot_"):
                assert node.name not in found, f"{node.name} defined in {found.get(node.name)} and {path}"
                found[node.name] = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return found


def test_every_plot_function_is_reachable_from_nd_plotting():
    defined = _defined_plot_functions()
    assert len(defined) > 40
    assert sorted(defined) == nd.plotting.__all__
    for name, module in defined.items():
        fn = getattr(nd.plotting, name)
        assert fn.__module__ == f"neurodiscovery.{module}" and fn.__name__ == name
    assert set(nd.plotting.__all__) <= set(dir(nd.plotting))


def test_unknown_name_is_an_attribute_error():
    try:
        nd.plotting.plot_nothing  # noqa: B018
    except AttributeError as e:
        assert "plot_nothing" in str(e)
    else:
        raise AssertionError("no AttributeError")


def test_importing_plotting_loads_no_matplotlib_and_never_switches_backend():
    code = ("import sys, neurodiscovery as nd; nd.plotting.__all__; assert 'matplotlib' not in sys.modules; "
            "import matplotlib; matplotlib.use('svg'); nd.plotting.plot_sholl; nd.plotting.plot_raster; "
            "nd.plotting.plot_psychometric; assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()")
    subprocess.run([sys.executable, "-c", code], check=True)
    for path in SRC.rglob("*.py"):
        assert "matplotlib.use(" not in path.read_text(encoding="utf-8").replace("``matplotlib.use``", ""), path
