"""Library code leaves the caller's state alone: matplotlib backend, interactive mode and thread limits;
subpackages resolve lazily and are listed by ``dir``."""
import os
import subprocess
import sys

_SCRIPT = """
import matplotlib
import neurodiscovery as nd
from neurodiscovery import datasets
import torch
from threadpoolctl import threadpool_info
before = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
torch_before = torch.get_num_threads()
rec = datasets.make_reaching(n_trials_per_condition=4, n_neurons=12, seed=0).to_recording()
cfg = nd.pipeline.AnalysisConfig(quick=True, sections=("summary", "population"), n_threads=1)
nd.pipeline.analyze(rec, out=r"{out}/a", config=cfg, progress=False)
nd.pipeline.run_decode(rec, "hand_velocity", out=r"{out}/d", decoders=("wiener",), n_splits=2,
                       shuffle_control=False)
after = {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["filepath"] in before}
same = after == before and torch.get_num_threads() == torch_before
print("BACKEND", matplotlib.get_backend(), "THREADS_SAME", same, before, after)
"""


def test_analyze_and_decode_keep_the_users_backend_and_threads(tmp_path):
    # two BLAS / torch threads to start with (the suite's default is one), so a command that lowers them shows
    env = {**os.environ, "MPLBACKEND": "svg", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    r = subprocess.run([sys.executable, "-c", _SCRIPT.replace("{out}", str(tmp_path))], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "BACKEND svg THREADS_SAME True" in r.stdout, r.stdout + r.stderr[-1000:]
    assert (tmp_path / "a" / "report.html").exists() and (tmp_path / "d" / "report.html").exists()


def test_subpackages_are_listed_and_resolve_lazily():
    code = ("import sys, neurodiscovery as nd; names = dir(nd); c = nd.connectomics; "
            "print(all(n in names for n in ('pipeline', 'connectomics', 'decoding')), 'em' in dir(c), "
            "'torch' in sys.modules, c.em.__name__, c.dmri.__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.split() == ["True", "True", "False", "neurodiscovery.connectomics.em",
                                "neurodiscovery.connectomics.dmri"], r.stdout
