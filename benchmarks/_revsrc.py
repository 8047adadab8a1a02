"""The package source of another git commit, for same-run comparisons with the previous commit.

``source_at(rev)`` exports ``src/`` of commit ``rev`` (``git archive``) once into
``benchmarks/.src-<sha>/src`` and returns that folder; put it first on ``PYTHONPATH`` of a
subprocess to run the old code on the same data, in the same run, as the current code.
"""
from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source_at(rev: str) -> Path | None:
    """``src/`` of commit ``rev`` as a folder, or None when git or the commit is not available.

    Parameters
    ----------
    rev : str
        Any git revision (``HEAD~1``, a hash, a branch).
    """
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", rev + "^{commit}"], check=True,
                             capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    dest = ROOT / "benchmarks" / f".src-{sha[:12]}"
    if not (dest / "src").exists():
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "src"], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            tf.extractall(dest, filter="data")
    return dest / "src"
