"""Hostile names never reach the HTML unescaped, never name files, and never break a run (issue 20)."""
import json
from html.parser import HTMLParser

import numpy as np
import pytest

from neurodiscovery.data import Recording, TimeSeries
from neurodiscovery.pipeline import AnalysisConfig, analyze
from neurodiscovery.pipeline.report import Figure, FigureWriter, Section, render_html, save_figure, slugify

HOSTILE = ["a/b", "x' onerror='alert(1)", '"><script>alert(1)</script>', "Kopfrichtung ü ß", "../../etc/passwd",
           "A/B", "a_b", ""]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("name", HOSTILE)
def test_slug_is_a_safe_file_name(name):
    s = slugify(name)
    assert s and set(s) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    assert slugify(s) == s  # idempotent: a slug is its own slug


def test_figure_writer_never_reuses_a_name(tmp_path):
    w = FigureWriter(tmp_path)
    stems = [w.stem_for(n) for n in ["a/b", "a_b", "a b", "A_B"]]
    assert len({s.lower() for s in stems}) == 4
    assert stems[0] == "a_b" and stems[1] == "a_b-2"


def test_render_escapes_text_and_attributes(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = FigureWriter(tmp_path)
    secs = []
    for i, name in enumerate(HOSTILE):
        fig, ax = plt.subplots()
        ax.plot([0, 1])
        f = w.save(fig, f"prediction_{name}", f"caption of {name}")
        secs.append(Section(f"s{i}{name}", name, text=[name], figures=[f], tables=[(name, [{name: name}])],
                            key_numbers=[(name, name)]))
    html = render_html(HOSTILE[2], [(n, n) for n in HOSTILE], secs, tmp_path, {"names": HOSTILE})
    p = _Collect()
    p.feed(html)
    assert "script" not in p.tags  # the injected element never parses as a tag
    assert not any(k.startswith("on") for k, _ in p.attrs)  # nor an injected event handler
    files = [v for k, v in p.attrs if k == "data-file"]
    assert len(files) == len(HOSTILE) and all((tmp_path.parent / f).name in {q.name for q in tmp_path.iterdir()}
                                              for f in files)
    text = "".join(p.text)
    for name in HOSTILE[:4]:
        assert name in text  # shown as written


def test_raw_stem_is_read_through_its_slug(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "secret.png").write_bytes(b"not a figure")
    figs = tmp_path / "figures"
    figs.mkdir()
    fig, ax = plt.subplots()
    stem = save_figure(fig, figs, "../secret")  # callers that pass the same raw name to Figure still work
    assert stem == "secret" and (figs / "secret.png").exists()
    html = render_html("t", [], [Section("s", "s", figures=[Figure("../secret", "c")])], figs, {})
    assert "data-file=\"figures/secret.png\"" in html and "bm90IGEgZmlndXJl" not in html  # never the outside file


def test_analyze_with_hostile_behaviour_names(tmp_path, rng):
    t = np.arange(0, 60, 0.02)
    theta = np.mod(np.cumsum(rng.normal(0, 0.05, len(t))), 2 * np.pi)
    pref = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    spikes = []
    for p in pref:
        rate = 2 + 30 * np.exp(2 * (np.cos(theta - p) - 1))
        spikes.append(np.sort(t[rng.random(len(t)) < rate * 0.02] + rng.uniform(0, 0.02)))
    names = ["head/direction", "x' onerror='alert(1)"]
    behaviors = {n: TimeSeries(n, t, theta if k == 0 else np.cos(theta), units="rad" if k == 0 else "",
                               circular=k == 0) for k, n in enumerate(names)}
    rec = Recording(spikes, regions=["<b>r</b>"] * 3 + ["r'2"] * 3, behaviors=behaviors, name="<i>session</i>")
    run = analyze(rec, out=tmp_path / "run", config=AnalysisConfig(quick=True, n_shuffles=5, n_splits=3,
                                                                   sections=("summary", "tuning", "prediction")),
                  progress=False)
    html = (run / "report.html").read_text()
    p = _Collect()
    p.feed(html)
    assert not any(k.startswith("on") for k, _ in p.attrs) and "i" not in p.tags
    assert "<b>r</b>" not in html and "<b>r</b>" in "".join(p.text)  # shown as written, not as markup
    figs = sorted(f.name for f in (run / "figures").iterdir())
    assert "prediction_head_direction.png" in figs and "prediction_x_onerror_alert_1.png" in figs
    m = json.loads((run / "metrics.json").read_text())
    assert set(m["prediction"]) == set(names)
