"""The stage registry, the configuration's checks and the metrics schema."""

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.pipeline import METRICS_SCHEMA_VERSION, SECTIONS, AnalysisConfig, compute_analysis, metrics_schema
from neurodiscovery.pipeline.stages import REGISTRY, Skipped, resolve_sections


def test_registry_order_and_needs_point_backwards():
    assert SECTIONS == ("summary", "quality", "tuning", "encoding", "psth", "population", "latents", "dynamics",
                        "decoding", "prediction")
    for i, st in enumerate(REGISTRY):
        mod = st.load()
        assert callable(mod.compute) and callable(mod.render)
        assert all(SECTIONS.index(n) < i for n in st.needs)


def test_sections_resolved_with_needs_and_checked():
    assert resolve_sections(["prediction"]) == ("decoding", "prediction")
    assert AnalysisConfig(sections=("prediction", "summary")).sections == ("summary", "decoding", "prediction")
    with pytest.raises(InputError, match="unknown section.*spectra.*available: summary"):
        AnalysisConfig(sections=("summary", "spectra"))
    with pytest.raises(InputError, match="no sections"):
        AnalysisConfig(sections=())


@pytest.mark.parametrize("kw, match", [({"decoders": ("wiener", "bogus")}, "bogus"), ({"bin_size_s": 0}, "bin_size_s"),
                                       ({"n_splits": 0}, "n_splits"), ({"alpha": 1.5}, "alpha"),
                                       ({"bin_size_s": float("inf")}, "bin_size_s"), ({"seed": -1}, "seed")])
def test_bad_config_values_refused(kw, match):
    with pytest.raises(InputError, match=match):
        AnalysisConfig(**kw)


def test_quick_changes_only_what_it_documents():
    full, quick = AnalysisConfig(), AnalysisConfig(quick=True)
    assert quick.n_shuffles == 200 and full.n_shuffles == 1000
    assert quick.regression_decoders(True) == ("wiener", "bayes")
    assert full.regression_decoders(True) == ("wiener", "kalman", "bayes", "mlp")
    assert quick.regression_decoders(False) == full.regression_decoders(False) == ("wiener",)
    same = {k for k in vars(full) if k not in ("quick", "n_shuffles")}
    assert all(getattr(full, k) == getattr(quick, k) for k in same)


def test_compute_without_files_gives_typed_results(rng):
    from neurodiscovery.data import Recording, Trials

    st = np.arange(30) * 2.0
    spikes = [np.sort(rng.uniform(0, 62, 400)) for _ in range(5)]
    rec = Recording(spikes, trials=Trials(st, st + 1.5, {"condition": np.arange(30) % 3}))
    res = compute_analysis(rec, AnalysisConfig(quick=True, sections=("psth", "tuning")))
    assert isinstance(res["tuning"], Skipped) and "behavioural" in res["tuning"].reason
    ps = res["psth"].psth
    assert ps.mean_hz.shape[0] == 3 and ps.mean_hz.shape[2] == 5
    assert res.metrics()["psth"]["n_trials_per_condition"] == {"0": 10, "1": 10, "2": 10}


def test_schema_declares_every_section_and_the_version():
    s = metrics_schema()
    assert s["properties"]["schema"]["properties"]["version"]["const"] == METRICS_SCHEMA_VERSION
    assert set(SECTIONS) <= set(s["properties"])
    assert s["additionalProperties"] is False  # a new section must be declared



@pytest.mark.parametrize("argv, msg", [(["--decoders", "wiener,bogus"], "unknown decoder(s) in decoders: bogus"),
                                       (["--sections", "summary,spectra"], "unknown section(s) spectra"),
                                       (["--sections", ","], "no sections requested"),
                                       (["--bin-size", "0"], "argument --bin-size: must be > 0")])
def test_cli_list_and_value_options_checked(tmp_path, capsys, argv, msg):
    from neurodiscovery.cli import main

    assert main(["analyze", *argv, "--out", str(tmp_path / "r"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_quality_and_population_recover_planted_structure(rng):
    """Planted refractory violations are counted; a 2-D latent population needs few PCs."""
    from neurodiscovery.data import Recording

    T = 200.0

    def refractory(n):  # 2 ms dead time: no ISI below 1.5 ms
        st = np.cumsum(0.002 + rng.exponential(0.08, n))
        return st[st < T]

    clean = [refractory(3000) for _ in range(4)]
    dirty = []
    for _ in range(2):  # 5 % of spikes get a partner 0.5 ms later: violations > 1 %
        st = refractory(3000)
        dirty.append(np.sort(np.r_[st, st[::20] + 0.0005]))
    t = np.arange(0, T, 0.01)
    z = np.c_[np.sin(2 * np.pi * t / 7.0), np.cos(2 * np.pi * t / 11.0)]
    w = rng.normal(size=(2, 12))
    rates = 5 * np.exp(z @ w * 0.8)
    latent = [np.sort(t[rng.random(len(t)) < r * 0.01]) for r in rates.T]
    rec = Recording(clean + dirty + latent, regions=["a"] * 6 + ["b"] * 12)
    res = compute_analysis(rec, AnalysisConfig(sections=("quality", "population"), smooth_s=0.2))
    assert res["quality"].n_violating == 2
    assert res["population"].n_components_80pct is not None
    evr = res["population"].explained_variance_ratio
    assert evr[:2].sum() > 0.3 and evr[0] > 3 * evr[-1]
