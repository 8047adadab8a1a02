"""The ``dynamics`` section: jPCA planes and forecasting skill on trials, skipped without them."""

import numpy as np
import pytest

from neurodiscovery import datasets
from neurodiscovery._utils.errors import InputError
from neurodiscovery.data import Recording, Trials
from neurodiscovery.pipeline import AnalysisConfig, analyze, compute_analysis
from neurodiscovery.pipeline.stages import Skipped
from neurodiscovery.pipeline.stages.dynamics import DynamicsResult

from .test_analyze import _check_report


def test_compute_recovers_planted_rotation_frequencies():
    rec = datasets.make_reaching(seed=0).to_recording()
    cfg = AnalysisConfig(sections=("dynamics",), forecast_epochs=2, forecast_time_budget_s=5.0)
    res = compute_analysis(rec, cfg)["dynamics"]
    assert isinstance(res, DynamicsResult)
    assert res.event == "go_s" and res.behavior == "hand_velocity" and res.n_conditions == 8
    f = res.summary.jpca.frequencies_hz
    # planted planes rotate at 3 and 1.5 Hz (make_reaching); the two fastest planes recover them
    assert abs(f[0] - 3.0) < 0.3 and abs(f[1] - 1.5) < 0.15
    assert res.summary.jpca.rotation_fraction > 0.8
    fc = res.summary.forecast
    # persistence cannot predict Poisson counts; the ridge VAR chosen on validation trials can
    assert fc.skill_at("var", 1) > 0.05 > fc.skill_at("persistence", 1)
    m = res.to_metrics()
    assert m["jpca"]["frequencies_hz"][:2] == pytest.approx(f[:2].tolist())
    assert set(m["forecast"]["rnn"]) == {"bits_per_spike_h1", "bits_per_spike_h10"}


def test_skipped_without_trials_or_with_short_trials(rng):
    spikes = [np.sort(rng.uniform(0, 60, 300)) for _ in range(4)]
    res = compute_analysis(Recording(spikes), AnalysisConfig(sections=("dynamics",)))["dynamics"]
    assert isinstance(res, Skipped) and "no trials" in res.reason
    st = np.arange(20) * 2.0
    rec = Recording(spikes, trials=Trials(st, st + 0.2, {"condition": np.arange(20) % 2}))
    res = compute_analysis(rec, AnalysisConfig(sections=("dynamics",)))["dynamics"]
    assert isinstance(res, Skipped) and "0.20 s" in res.reason and "0.42 s" in res.reason


def test_one_condition_skips_jpca_but_forecasts():
    rec = datasets.make_lorenz_population(n_trials=40, n_time=60, n_neurons=20, seed=1).to_recording()
    cfg = AnalysisConfig(sections=("dynamics",), forecast_epochs=2, forecast_time_budget_s=5.0)
    res = compute_analysis(rec, cfg)["dynamics"]
    assert res.summary.jpca is None and "2 conditions" in res.summary.skipped["jpca"]
    assert res.summary.forecast is not None and res.to_metrics()["jpca"] is None


def test_odd_jpca_dimension_refused():
    with pytest.raises(InputError, match="dynamics_n_pcs must be even"):
        AnalysisConfig(dynamics_n_pcs=5)


def test_rendered_section(tmp_path):
    rec = datasets.make_reaching(n_trials_per_condition=10, n_neurons=30, seed=2).to_recording()
    cfg = AnalysisConfig(sections=("summary", "dynamics"), forecast_epochs=2, forecast_time_budget_s=5.0)
    run = analyze(rec, out=tmp_path / "run", config=cfg, progress=False)
    sections, m = _check_report(run)
    assert "dynamics" in sections
    d = m["dynamics"]
    assert d["event"] == "go_s" and d["n_trials"] == 80 and d["window_s"] == pytest.approx([0.0, 0.7])
    assert len(d["jpca"]["frequencies_hz"]) == 3 and d["forecast"]["metric"] == "bits_per_spike"
    kn = m["key_numbers"]["jPCA plane 1 rotation frequency"]
    assert kn["unit"] == "Hz" and kn["value"] == pytest.approx(d["jpca"]["frequencies_hz"][0])
    assert (run / "figures" / "jpca_planes.png").exists() and (run / "figures" / "forecast_skill.png").exists()
    html = (run / "report.html").read_text()
    assert "jPCA rotational planes" in html and "Held-out forecast skill" in html
