"""The stage registry, the configuration's checks and the metrics schema."""

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.pipeline import METRICS_SCHEMA_VERSION, SECTIONS, AnalysisConfig, compute_analysis, metrics_schema
from neurodiscovery.pipeline.stages import REGISTRY, Skipped, resolve_sections


def test_registry_order_and_needs_point_backwards():
    assert SECTIONS == ("summary", "quality", "tuning", "psth", "population", "dynamics", "decoding", "prediction")
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
    assert quick.n_shuffles == 50 and full.n_shuffles == 200
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

