"""Tracing through sections, skeletons and the contact graph: planted truth and bad input."""
import csv
import json

import numpy as np
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.cli import main
from neurodiscovery.connectomics.em import (
    TracingParams,
    contact_graph,
    contact_statistics,
    evaluate,
    link_sections,
    skeletonize,
    trace_boundaries,
)
from neurodiscovery.datasets import make_neurite_phantom
from neurodiscovery.morphology import measure_neuron, topology

pytest.importorskip("kimimaro")


def skeleton_scores(phantom, traced, skeletons, tol_nm):
    """Per traced object: relative cable-length error vs its true neuron; branch-point F1."""
    errs, tp, n_found, n_true = [], 0, 0, len(phantom.branch_points_nm)
    for oid, tree in skeletons.items():
        true = int(np.bincount(phantom.labels[traced.labels == oid], minlength=2)[1:].argmax()) + 1
        errs.append(measure_neuron(tree).cable_length / phantom.cable_length_nm[true - 1] - 1)
        bp = tree.xyz[topology(tree).n_children >= 2][:, ::-1]  # (z, y, x) nm
        tb = phantom.branch_points_nm[phantom.branch_neuron == true]
        n_found += len(bp)
        if len(bp) and len(tb):
            d = np.linalg.norm(bp[:, None] - tb[None], axis=2)
            tp += int(min((d.min(axis=0) <= tol_nm).sum(), (d.min(axis=1) <= tol_nm).sum()))
    prec, rec = tp / max(n_found, 1), tp / max(n_true, 1)
    return np.asarray(errs), 2 * prec * rec / max(prec + rec, 1e-12)


@pytest.fixture(scope="module")
def phantom_traced():
    ph = make_neurite_phantom(shape=(32, 128, 128), n_neurons=3, n_branches=1,
                              min_branch_sections=22, missing_rate=0.07, seed=2)
    return ph, trace_boundaries(ph.boundaries)


def test_phantom_truth_is_consistent():
    ph = make_neurite_phantom(shape=(24, 96, 96), n_neurons=2, min_branch_sections=16, seed=1)
    assert set(np.unique(ph.labels)) == {0, 1, 2}
    assert len(ph.missing_sections) == 1 and (ph.boundaries[ph.missing_sections] == 1).all()
    assert ph.branch_points_nm.shape == (2, 3) and (ph.cable_length_nm > 23 * 40).all()
    # the arbor length counts a branch from where it leaves the trunk tube
    naive = [sum(np.linalg.norm(np.diff(t, axis=0), axis=1).sum() for t in n) for n in ph.centerlines]
    assert ((ph.cable_length_nm <= np.asarray(naive) + 1e-9) &
            (ph.cable_length_nm > np.asarray(naive) - 2 * ph.radius_nm * 3)).all()
    with pytest.raises(InputError):
        make_neurite_phantom(shape=(24, 96, 96), min_branch_sections=30)


def test_tracing_recovers_phantom_objects(phantom_traced):
    ph, tr = phantom_traced
    s = evaluate(ph.labels.astype(np.int64), tr.labels.astype(np.int64))
    assert s.voi_split + s.voi_merge <= 0.3
    full = tr.longest_run() == 32
    assert full.sum() == 3  # the three neurons run through the stack ...
    assert tr.size_voxels[~full].sum() < 0.01 * tr.size_voxels.sum()  # ... specks aside
    np.testing.assert_array_equal(tr.missing_sections, ph.missing_sections)


def test_skeletons_length_and_branch_points(phantom_traced):
    # one fixed phantom (a regression check); benchmarks/em_trace.py reports the spread
    # of these numbers over many seeds
    ph, tr = phantom_traced
    sk = skeletonize(tr.labels, ph.voxel_size_nm)
    big = {k: v for k, v in sk.items() if tr.longest_run()[k - 1] == 32}
    errs, f1 = skeleton_scores(ph, tr, big, tol_nm=320.0)
    assert len(errs) == 3 and np.abs(errs).max() <= 0.05
    assert f1 >= 0.9
    # the same object without smoothing: voxel staircases make the skeleton longer
    raw = skeletonize(tr.labels, ph.voxel_size_nm, smooth_iter=0)
    assert sum(measure_neuron(t).cable_length for t in raw.values()) > \
        sum(measure_neuron(t).cable_length for t in sk.values())


def test_link_sections_planted():
    lab = np.zeros((4, 20, 20), np.int64)
    lab[:, 2:8, 2:8] = 1          # object A through all sections
    lab[0:2, 12:18, 12:18] = 2    # object B, sections 0-1 ...
    lab[3, 12:18, 12:18] = 5      # ... lost section 2 bridged, other id in section 3
    lab[3, 2:8, 9:11] = 7         # a profile touching nothing in section 2
    tr = link_sections(lab, params=TracingParams(min_size_voxels=4), missing_sections=[2])
    assert tr.n_objects == 3
    a, b = tr.labels[0, 4, 4], tr.labels[0, 14, 14]
    assert (tr.labels[:, 4, 4] == a).all() and (tr.labels[[0, 1, 3], 14, 14] == b).all()
    assert tr.labels[2, 14, 14] == b  # bridged where both sides agree
    # boundary evidence: a membrane over the overlap refuses the link
    bnd = np.zeros(lab.shape, np.float32)
    bnd[1:3, 12:18, 12:18] = 0.9
    tr2 = link_sections(lab, bnd, TracingParams(min_size_voxels=4, max_boundary=0.5))
    assert tr2.labels[0, 14, 14] != tr2.labels[3, 14, 14]


def test_contact_graph_closed_form():
    lab = np.zeros((3, 10, 10), np.int64)
    lab[:, :, :5] = 1
    lab[:, :, 5:] = 2
    lab[:, 8:, 5:] = 3
    g = contact_graph(lab, (40.0, 4.0, 5.0))
    pairs = {tuple(e): a for e, a in zip(g.edges.tolist(), g.area_nm2)}
    # faces normal to x have area vz * vy = 160 nm^2
    assert pairs[(1, 2)] == pytest.approx(3 * 8 * 160) and pairs[(1, 3)] == pytest.approx(3 * 2 * 160)
    assert pairs[(2, 3)] == pytest.approx(3 * 5 * 40 * 5)  # normal to y: vz * vx
    st = contact_statistics(g)
    np.testing.assert_array_equal(st.degree, [2, 2, 2])
    assert st.mean_clustering == 1.0 and st.density == 1.0
    gap = lab.copy()
    gap[:, :, 5] = 0  # a membrane between 1 and 2/3
    assert len(contact_graph(gap, (40, 4, 5)).edges) == 1
    assert len(contact_graph(gap, (40, 4, 5), gap_voxels=1).edges) == 3


def test_bad_input_one_line(tmp_path, capsys):
    lab = np.ones((3, 8, 8), np.int64)
    with pytest.raises(InputError, match="3 entries"):
        skeletonize(lab, (40.0, 4.0))
    with pytest.raises(InputError, match="empty"):
        skeletonize(np.zeros((3, 8, 8), np.int64), (40, 4, 4))
    with pytest.raises(InputError, match="empty"):
        link_sections(np.zeros((3, 8, 8), np.int64))
    np.savez(tmp_path / "s.npz", labels=lab)
    assert main(["em", "trace", str(tmp_path / "s.npz"), "--voxel-size", "40", "4"]) == 2
    assert "3 entries" in capsys.readouterr().err
    np.savez(tmp_path / "z.npz", labels=np.zeros((3, 8, 8), np.int64))
    assert main(["em", "trace", str(tmp_path / "z.npz"), "--voxel-size", "40", "4", "4"]) == 2
    err = capsys.readouterr().err
    assert "empty" in err and err.count("\n") == 1


def test_em_trace_cli(tmp_path):
    ph = make_neurite_phantom(shape=(16, 64, 64), n_neurons=2, min_branch_sections=10,
                              radius_nm=(40.0, 48.0), seed=2)
    labels = ph.labels.astype(np.uint32)
    np.savez(tmp_path / "seg.npz", labels=labels)
    out = tmp_path / "run"
    assert main(["em", "trace", str(tmp_path / "seg.npz"), "--voxel-size", "40", "8", "8",
                 "--gap-voxels", "2", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_objects"] == 2 and m["n_objects_spanning_ge_5_sections"] == 2
    assert len(list((out / "skeletons").glob("object_*.swc"))) == 2
    from neurodiscovery.data.swc import read_swc

    combined = read_swc(out / "skeletons_all.swc", allow_forest=True)
    assert combined.units == "nm" and (combined.parent_ids < 0).sum() == 2
    assert (out / "report.html").exists() and (out / "objects.csv").exists()
    assert m["n_objects_multi_segment"] == 0  # two unbranched planted neurites
    assert m["key_numbers"]["objects holding more than one segment of some section (branches or merges)"]["of"] == 2
    # the chain: morphology runs with defaults on the traced skeletons, reads their nm header
    # and reports µm that equal navis's cable length of the same files (in nm) / 1000
    morph = tmp_path / "morph"
    assert main(["morphology", str(out / "skeletons"), "--out", str(morph)]) == 0
    rows = {r["name"]: r for r in csv.DictReader(open(morph / "measures.csv"))}
    navis = pytest.importorskip("navis")
    for f in sorted((out / "skeletons").glob("object_*.swc")):
        theirs_nm = float(navis.read_swc(str(f)).cable_length)
        assert float(rows[f.stem]["cable_length_um"]) == pytest.approx(theirs_nm / 1000, rel=1e-6)
        assert 0.1 < theirs_nm / 1000 < 100  # µm-scale neurites of a 64 x 8 nm field, not nm
    assert "µm" in (morph / "report.html").read_text()


def test_em_package_imports_without_torch():
    import subprocess
    import sys

    code = ("import sys; import neurodiscovery.connectomics.em as em; em.evaluate; em.link_sections; "
            "em.contact_graph; import neurodiscovery.pipeline.em_trace; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
