"""Write the first N images of an MNIST-format (IDX) data set as a CSV: ``label`` + 784 pixel columns.

Real MNIST cannot be downloaded offline here; Debian's ``dataset-fashion-mnist`` package (Zalando's
Fashion-MNIST, same format and size) is the closest real set on this machine::

    dpkg -x /var/cache/apt/archives/dataset-fashion-mnist_*.deb /tmp/fmnist
    python benchmarks/mnist_csv.py /tmp/fmnist/usr/share/datasets/fashion-mnist/train /tmp/fmnist5000.csv 5000

The first argument is the prefix of ``<prefix>-images-idx3-ubyte.gz`` / ``<prefix>-labels-idx1-ubyte.gz``
(plain MNIST files work the same way).
"""
from __future__ import annotations

import gzip
import sys

import numpy as np


def read_idx(path: str) -> np.ndarray:
    """Array stored in an IDX file (gzip or plain)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main(prefix: str, out: str, n: int) -> None:
    X = read_idx(f"{prefix}-images-idx3-ubyte.gz")[:n].reshape(n, -1)
    y = read_idx(f"{prefix}-labels-idx1-ubyte.gz")[:n]
    header = "label," + ",".join(f"p{i}" for i in range(X.shape[1]))
    rows = np.column_stack([y, X]).astype(int)
    np.savetxt(out, rows, fmt="%d", delimiter=",", header=header, comments="")
    print(f"wrote {n} images to {out} (class counts {np.bincount(y).tolist()})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5000)
