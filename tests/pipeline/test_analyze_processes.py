"""``analyze`` in two processes (the decoding stage in the second) gives the one-process numbers."""
import importlib
import multiprocessing
import sys

import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery.pipeline import AnalysisConfig, analyze, compute_analysis
from neurodiscovery.pipeline.analyze import resolve_processes

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the second process is forked (Linux)")
SECTIONS = ("summary", "quality", "decoding", "prediction")


@pytest.fixture(scope="module")
def rec():
    return datasets.make_hd_place_cells(n_hd=4, n_place=3, duration_s=100, seed=2).recording


def _same(a, b, path="metrics"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert a == b, path


@linux
def test_two_processes_give_identical_numbers_and_every_figure(rec, tmp_path):
    cfg = dict(quick=True, sections=SECTIONS, n_boot=100, n_permutations=10, n_splits=3)
    one = compute_analysis(rec, AnalysisConfig(**cfg, n_processes=1))
    two = compute_analysis(rec, AnalysisConfig(**cfg, n_processes=2))
    _same(one.metrics(), two.metrics())
    assert one["decoding"].by_region and one["decoding"].notes == two["decoding"].notes  # parts merged in order
    run = analyze(rec, out=tmp_path / "run", config=AnalysisConfig(**cfg, n_processes=2), progress=False)
    names = {p.stem for p in (run / "figures").iterdir()}
    assert any(n.startswith("prediction_") for n in names) and any(n.startswith("quality_") for n in names)
    html = (run / "report.html").read_text()
    assert all(f'data-file="figures/{n}.png"' in html for n in names)


@linux
def test_error_in_the_second_process_reaches_the_caller(rec, tmp_path, monkeypatch):
    def refuse(*a):
        raise InputError("simulated decoding failure")

    # the second process is forked from this one, so it sees the patched stage
    monkeypatch.setattr(importlib.import_module("neurodiscovery.pipeline.stages.decoding"), "_behaviors", refuse)
    out = tmp_path / "run"
    with pytest.raises(InputError, match="simulated decoding failure"):
        analyze(rec, out=out, config=AnalysisConfig(quick=True, sections=("summary", "decoding"), n_processes=2),
                progress=False)
    assert not out.exists()


def _resolve_in_pool(_):
    return resolve_processes(None)


@linux
def test_process_count_resolution():
    assert resolve_processes(1) == 1 and resolve_processes(2) == 2 and resolve_processes(8) == 2
    # a pool's (daemonic) worker, like a batch's session worker, runs its session in one process
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_resolve_in_pool, [0]) == [1]
    with pytest.raises(InputError, match="n_processes"):
        AnalysisConfig(n_processes=0)
