"""``analyze`` and ``sort`` on the command protocol: options generated from one declaration whose defaults are
the library's, ``execute`` giving what ``compute`` + ``render`` give, and ``quick`` returning a new config."""
import argparse
import dataclasses
import json

import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery._utils.params import add_arguments, from_namespace
from neurodiscovery.pipeline import AnalysisConfig, AnalyzeParams, compute_analysis, render_analysis
from neurodiscovery.pipeline.analyze_command import _SHARED
from neurodiscovery.pipeline.command import RunResult, execute
from neurodiscovery.pipeline.config import QUICK_SHUFFLES
from neurodiscovery.pipeline.report import FigureWriter


def _parse(cls, argv):
    p = argparse.ArgumentParser()
    add_arguments(p, cls)
    return from_namespace(cls, p.parse_args(argv))


def test_options_take_their_defaults_from_analysis_config():
    defaults = {f.name: f.default for f in dataclasses.fields(AnalysisConfig)}
    params = {f.name: f.default for f in dataclasses.fields(AnalyzeParams)}
    assert all(params[n] == defaults[n] for n in _SHARED)
    assert AnalyzeParams().config == AnalysisConfig()
    got = _parse(AnalyzeParams, ["a.nwb", "b.nwb", "--iscell-threshold", "0.7", "--svg", "--sections", "prediction"])
    assert got.paths == ("a.nwb", "b.nwb") and got.iscell_threshold == 0.7  # the old flag name still works
    assert got.config.figure_formats == ("png", "svg") and got.config.sections == ("decoding", "prediction")
    assert _parse(AnalyzeParams, ["--cell-probability", "0.2"]).config.iscell_threshold == 0.2


def test_quick_returns_a_new_config_and_configs_are_frozen():
    full = AnalysisConfig()
    quick = full.as_quick()
    assert quick is not full and quick.quick and quick.n_shuffles == QUICK_SHUFFLES
    assert not full.quick and full.n_shuffles == 1000
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.n_shuffles = 5


def test_base_configuration_and_options_must_agree():
    p = AnalyzeParams(analysis=AnalysisConfig(bin_size_s=0.1, n_boot=50))
    assert p.bin_size_s == 0.1 and p.config.n_boot == 50  # an option left at its default takes the base's value
    assert AnalyzeParams(seed=3, analysis=AnalysisConfig(n_boot=50)).config.seed == 3
    with pytest.raises(InputError, match="bin_size_s is 0.2 here and 0.1 in analysis"):
        AnalyzeParams(bin_size_s=0.2, analysis=AnalysisConfig(bin_size_s=0.1))


def test_execute_gives_what_compute_and_render_give(tmp_path):
    rec = datasets.make_hd_place_cells(n_hd=4, n_place=3, duration_s=120, seed=4).recording
    params = AnalyzeParams(quick=True, sections=("summary", "quality", "population"))
    run = execute("analyze", params, inputs=rec, out=tmp_path / "run")
    assert isinstance(run, RunResult) and run.line == f"report: {tmp_path / 'run' / 'report.html'}"
    res = compute_analysis(rec, params.config)
    (tmp_path / "figs").mkdir()
    sections = render_analysis(res, FigureWriter(tmp_path / "figs", ("png",)))
    dump = json.dumps  # the streamed run (computed and drawn together) equals compute, then render
    assert dump(res.metrics(), default=str) == dump(run.result.metrics(), default=str)
    labels = [q.label for s in sections for q in s.key_numbers]
    assert labels == list(run.metrics["key_numbers"]) and labels
    assert {s.key for s in sections} == {"summary", "quality", "population"}
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["analysis"]["sections"] == ["summary", "quality", "population"] and cfg["recording"] == rec.name


def test_builtin_dataset_refuses_batch_options():
    from neurodiscovery.pipeline import run_analyze

    with pytest.raises(InputError, match="--resume, --scheduler and --workers"):
        run_analyze(AnalyzeParams(workers=2))


def test_sort_options_default_to_the_allen_thresholds():
    from neurodiscovery.pipeline import SortParams
    from neurodiscovery.sorting import ALLEN_THRESHOLDS, DEFAULT_SORTER

    p = SortParams(raw="x.bin")
    assert p.thresholds() == ALLEN_THRESHOLDS and p.sorter == DEFAULT_SORTER
    assert _parse(SortParams, ["x.bin", "--motion"]).motion == "dredge_fast"  # the flag alone: the default preset
    assert _parse(SortParams, ["x.bin", "--motion", "rigid_fast"]).motion == "rigid_fast"
    with pytest.raises(InputError, match="presence_ratio_min"):
        SortParams(raw="x.bin", presence_ratio_min=1.5)
