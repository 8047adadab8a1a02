"""Bad-input suite: every user mistake or damaged file -> exit 2, one stderr line, no traceback.

The corpus is generated here (damaged/truncated NWB, NPZ and HDF5 files, pickled fields,
huge or lying headers, tampered checkpoints, hostile names, odd option values, OS errors).
Each case runs the CLI in a subprocess under an 8 GiB address-space limit and checks: the
exit status, a single stderr line, no traceback, no run folder (complete or partial) left
behind, a bounded peak RSS, and -- for the memory cases -- refusal within 5 s of CPU time
(CPU, not wall, because the test machine may be shared).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
AS_LIMIT = 8 * 2**30
MAX_RSS_KB = 3 * 2**20  # 3 GiB peak resident memory for any refusal


def _limit():  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def run_cli(args, cwd: Path, env_extra=None):
    """(returncode, stdout, stderr, cpu_s, maxrss_kb) of ``neurodiscovery ARGS`` in a limited child."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", **(env_extra or {})}
    logs = cwd.parent / f"{cwd.name}.log"
    logs.mkdir()
    with open(logs / "stdout", "w+") as out, open(logs / "stderr", "w+") as err:
        p = subprocess.Popen([sys.executable, "-m", "neurodiscovery.cli", *args], cwd=cwd, env=env,
                             stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=_limit)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        o, e = out.read(), err.read()
    return p.returncode, o, e, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


# ----------------------------------------------------------------------------- corpus
def _npy_bytes(arr=None, header=None) -> bytes:
    buf = io.BytesIO()
    if header is None:
        np.save(buf, arr)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(b"\0" * 64)
    return buf.getvalue()


def _damage(src: Path, dst: Path, start: float, stop: float) -> Path:
    shutil.copy(src, dst)
    n = dst.stat().st_size
    with open(dst, "r+b") as fh:
        fh.seek(int(n * start))
        fh.write(b"\xff" * (int(n * stop) - int(n * start)))
    return dst


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from neurodiscovery.data import Recording, write_recording
    from neurodiscovery.datasets import load_head_direction

    d = tmp_path_factory.mktemp("corpus")
    rec = load_head_direction()
    small = rec.select_units(np.arange(rec.n_units) < 4)
    good_npz = write_recording(small, d / "good.npz")
    good_nwb = write_recording(small, d / "good.nwb")
    f = {"npz": good_npz, "nwb": good_nwb}
    f["nwb_mid"] = _damage(good_nwb, d / "mid.nwb", 1 / 3, 2 / 3)  # hdmf: broken links, groups dropped
    f["nwb_tail"] = _damage(good_nwb, d / "tail.nwb", 0.8, 0.9)
    f["nwb_trunc"] = d / "trunc.nwb"
    f["nwb_trunc"].write_bytes(good_nwb.read_bytes()[: good_nwb.stat().st_size // 2])
    f["npz_trunc"] = d / "trunc.npz"
    f["npz_trunc"].write_bytes(good_npz.read_bytes()[: good_npz.stat().st_size // 2])
    f["empty"] = d / "empty.nwb"
    f["empty"].write_bytes(b"")
    import h5py

    with h5py.File(d / "plain.h5", "w") as h:  # valid HDF5, not NWB
        h["x"] = np.arange(3)
    f["h5"] = d / "plain.h5"
    np.savez(d / "pickled.npz", spike_times=np.array([{"a": 1}], dtype=object), spike_ptr=np.array([0, 1]))
    f["pickled"] = d / "pickled.npz"
    for name, shape in (("huge", (10**13,)), ("lying", (10**6,))):
        with zipfile.ZipFile(d / f"{name}.npz", "w") as z:
            z.writestr("spike_times.npy", _npy_bytes(header={"descr": "<f8", "fortran_order": False,
                                                             "shape": shape}))
            z.writestr("spike_ptr.npy", _npy_bytes(np.array([0, 0])))
        f[name] = d / f"{name}.npz"
    # one spike at 1e12 s stretches the time support (written by hand: Recording refuses to build it)
    good = dict(np.load(write_recording(Recording(small.spike_times, unit_ids=small.unit_ids, regions=small.regions,
                                                  behaviors=small.behaviors, name="far"), d / "far_ok.npz")))
    good.pop("time_support_s")
    good["spike_times"] = np.append(good["spike_times"], 1e12)
    good["spike_ptr"] = good["spike_ptr"].copy()
    good["spike_ptr"][-1] += 1
    np.savez(d / "far.npz", **good)
    f["far"] = d / "far.npz"
    (d / "loop_a").symlink_to(d / "loop_b")
    (d / "loop_b").symlink_to(d / "loop_a")
    f["loop"] = d / "loop_a"
    f["file"] = d / "a_file"
    f["file"].write_text("x")
    ck = d / "ckpt_tampered"
    ck.mkdir()
    (ck / "state_dict.pt").write_bytes(b"")
    (ck / "config.json").write_text('{"kind": "em_unet", "config": {"base_channels": "many"')
    f["ckpt"] = ck
    import json

    from neurodiscovery.connectomics.em.model import default_checkpoint_path

    big = d / "ckpt_4096"  # a 1 MB checkpoint whose config asks for 4,096 base channels
    shutil.copytree(default_checkpoint_path(), big)
    doc = json.loads((big / "config.json").read_text())
    doc["config"]["base_channels"] = 4096
    (big / "config.json").write_text(json.dumps(doc))
    f["ckpt_big"] = big
    f["ckpt_empty"] = d / "ckpt_empty.pt"
    f["ckpt_empty"].write_bytes(b"")
    np.savez(d / "vol.npz", raw=np.zeros((2, 32, 32), np.uint8))
    f["vol"] = d / "vol.npz"
    return d, f


# (id, args, is_memory_case); "{name}" expands to the corpus file, "{out}" to a fresh run folder
CASES = [
    ("nwb-middle-overwritten", ["info", "{nwb_mid}"], False),
    ("nwb-tail-overwritten", ["info", "{nwb_tail}"], False),
    ("nwb-truncated", ["info", "{nwb_trunc}"], False),
    ("npz-truncated", ["info", "{npz_trunc}"], False),
    ("empty-file", ["info", "{empty}"], False),
    ("hdf5-not-nwb", ["info", "{h5}"], False),
    ("npz-pickled-field", ["info", "{pickled}"], False),
    ("npz-lying-header", ["info", "{lying}"], False),
    ("npz-huge-header", ["info", "{huge}"], False),
    ("npz-over-memory-limit", ["info", "{npz}"], True),
    ("symlink-loop", ["info", "{loop}"], False),
    ("missing-file", ["info", "{file}.missing"], False),
    ("folder-as-file", ["info", "{vol}/.."], False),
    ("bin-size-1e-9", ["analyze", "{npz}", "--bin-size", "1e-9", "--no-progress", "--out", "{out}"], True),
    ("far-spike", ["analyze", "{far}", "--quick", "--no-progress", "--out", "{out}"], False),  # refused on reading (> 100 days)
    ("lagged-design", ["decode", "{npz}", "--target", "head_direction", "--bin-size", "1e-4", "--bins-before",
                       "10", "--decoders", "wiener", "--no-progress", "--out", "{out}"], True),
    ("bin-size-inf", ["analyze", "--bin-size", "inf", "--out", "{out}"], False),
    ("bin-size-nan", ["decode", "--target", "head_direction", "--bin-size", "nan", "--out", "{out}"], False),
    ("seed-negative", ["analyze", "--seed", "-1", "--out", "{out}"], False),
    ("threads-zero", ["decode", "--target", "head_direction", "--threads", "0", "--out", "{out}"], False),
    ("n-splits-one", ["decode", "--target", "head_direction", "--n-splits", "1", "--out", "{out}"], False),
    ("seed-not-int", ["datasets", "export", "head_direction", "{out}.npz", "--seed", "1.5"], False),
    ("analyze-bogus-decoder", ["analyze", "--decoders", "wiener,bogus", "--no-progress", "--out", "{out}"], False),
    ("analyze-bogus-section", ["analyze", "--sections", "bogus", "--no-progress", "--out", "{out}"], False),
    ("decode-bogus-region", ["decode", "{npz}", "--target", "head_direction", "--regions", "bogus",
                             "--no-progress", "--out", "{out}"], False),
    ("decode-bogus-target", ["decode", "{npz}", "--target", "bogus", "--no-progress", "--out", "{out}"], False),
    ("em-block-shape-zero", ["em", "segment", "{vol}", "--block-shape", "0,0,0", "--out", "{out}"], False),
    ("em-lr-negative", ["em", "train", "{vol}", "--lr", "-1", "--out", "{out}"], False),
    ("em-batch-zero", ["em", "train", "{vol}", "--batch-size", "0", "--out", "{out}"], False),
    ("em-slices-reversed", ["em", "evaluate", "{vol}", "{vol}", "--slices", "5-2", "--out", "{out}"], False),
    ("em-checkpoint-tampered", ["em", "segment", "{vol}", "--key", "raw", "--model", "{ckpt}",
                                "--out", "{out}"], False),
    ("em-checkpoint-4096-channels", ["em", "segment", "{vol}", "--key", "raw", "--model", "{ckpt_big}",
                                     "--out", "{out}"], True),
    ("em-checkpoint-empty", ["em", "segment", "{vol}", "--key", "raw", "--model", "{ckpt_empty}",
                             "--out", "{out}"], False),
    ("out-under-a-file", ["info", "{npz}", "--json"], False),  # placeholder replaced below
    ("out-under-proc", ["analyze", "{npz}", "--no-progress", "--out", "/proc/no/such/run"], False),
    ("out-read-only-fs", ["analyze", "{npz}", "--no-progress", "--out", "/sys/neurodiscovery-run"], False),
    ("export-under-a-file", ["datasets", "export", "head_direction", "{file}/x.npz"], False),
    ("export-exists", ["datasets", "export", "head_direction", "{npz}"], False),
    ("memory-limit-not-a-number", ["analyze", "{npz}", "--no-progress", "--out", "{out}"], False),
]
CASES = [c for c in CASES if c[0] != "out-under-a-file"] + [
    ("out-under-a-file", ["analyze", "{npz}", "--no-progress", "--out", "{file}/run"], False)]


ENV_LIMITS = {"memory-limit-not-a-number": "abc", "npz-over-memory-limit": "0.0001"}


def _expand(args, files, out):
    return [a.replace("{out}", str(out)).format(**{k: str(v) for k, v in files.items()}) for a in args]


# extra words the one line must contain (what was lost, the flag's own name, the right diagnosis)
EXPECT = {
    "nwb-middle-overwritten": ("damaged", "/processing/behavior"),
    "symlink-loop": ("symbolic link loop",),
    "npz-huge-header": ("TiB",),
    "npz-pickled-field": ("pickled",),
    "seed-negative": ("--seed",), "threads-zero": ("--threads",), "bin-size-inf": ("--bin-size",),
    "em-block-shape-zero": ("--block-shape",), "em-lr-negative": ("--lr",), "n-splits-one": ("--n-splits",),
    "analyze-bogus-decoder": ("bogus",), "decode-bogus-region": ("bogus",),
    "out-under-a-file": ("is a file, not a folder",), "out-read-only-fs": ("/sys/neurodiscovery-run",),
    "memory-limit-not-a-number": ("NEURODISCOVERY_MAX_MEMORY_GB",),
}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2(case, corpus):
    d, files = corpus
    cid, args, memory_case = case
    work = d / f"work-{cid}"
    work.mkdir()
    run = work / "run"
    env = {"NEURODISCOVERY_MAX_MEMORY_GB": ENV_LIMITS[cid]} if cid in ENV_LIMITS else None
    rc, _, err, cpu_s, rss_kb = run_cli(_expand(args, files, run), work, env)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, f"exit {rc}; stderr: {err[-2000:]}"
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}:\n{err[-2000:]}"
    assert "Traceback" not in err and "error:" in lines[0]
    assert list(work.iterdir()) == [], "a run folder (complete or partial) was left behind"
    assert rss_kb < MAX_RSS_KB, f"peak RSS {rss_kb / 2**20:.2f} GiB"
    for word in EXPECT.get(cid, ()):
        assert word in lines[0], (word, lines[0])
    if memory_case:
        assert cpu_s < 5.0, f"memory case took {cpu_s:.1f} s of CPU to refuse"
        assert "would need" in lines[0] and "memory limit" in lines[0]
