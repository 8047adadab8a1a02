"""Classification tasks for the learning-rule benchmarks: digits, MNIST-1D, a user CSV."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError, MissingFileError
from .._utils.validation import check_array, check_same_length

TASKS = ("digits", "mnist1d")


@dataclass(frozen=True)
class ClassificationTask:
    """A fixed train/test split; the test part is only read for the final score.

    Attributes
    ----------
    name : str
    X_train, X_test : ndarray, shape (samples, features)
    y_train, y_test : ndarray, shape (samples,)
        Integer class labels.
    description : str
        Where the data came from and how it was split and scaled.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str

    def __post_init__(self):
        check_same_length(self.X_train, self.y_train, "X_train", "y_train")
        check_same_length(self.X_test, self.y_test, "X_test", "y_test")

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes in the training labels."""
        return len(np.unique(self.y_train))


def load_digits_task(test_fraction: float = 0.25, seed: int = 0) -> ClassificationTask:
    """scikit-learn's 8x8 digits (1,797 images), pixels scaled to [0, 1], stratified split.

    Parameters
    ----------
    test_fraction : float
        Fraction of samples held out as the test set (stratified).
    seed : int
        Seeds the split.

    Returns
    -------
    ClassificationTask
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=test_fraction, stratify=y,
                                          random_state=seed)
    return ClassificationTask("digits", Xtr, ytr, Xte, yte,
                              f"sklearn digits, 64 pixels / 16, stratified {1 - test_fraction:.0%}/"
                              f"{test_fraction:.0%} train/test split (seed {seed})")


def load_mnist1d_task() -> ClassificationTask:
    """MNIST-1D (Greydanus 2020) built offline by the ``mnist1d`` generator, default settings.

    5,000 sequences of length 40: the package's own 4,000 train / 1,000 test split.
    Nothing is downloaded: ``make_dataset`` is called directly (``get_dataset`` would try
    a download). The generator seeds numpy's global state; it is restored afterwards.
    """
    from .._utils.errors import require

    require("mnist1d", "mnist1d")
    from mnist1d.data import get_dataset_args, make_dataset

    state = np.random.get_state()
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)
    return ClassificationTask("mnist1d", np.asarray(d["x"], float), np.asarray(d["y"]),
                              np.asarray(d["x_test"], float), np.asarray(d["y_test"]),
                              "MNIST-1D, mnist1d.make_dataset(get_dataset_args()) (seed 42): "
                              "4,000 train / 1,000 test, length-40 sequences")


def load_csv_task(path, test_fraction: float = 0.25, seed: int = 0, label_column: str = "label") -> ClassificationTask:
    """A CSV of class labels and numeric feature columns; stratified split.

    Features are standardised with the training part's mean and SD.

    Parameters
    ----------
    path : path
        CSV file.
    test_fraction : float
        Fraction of samples held out as the test set (stratified).
    seed : int
        Seeds the split.
    label_column : str
        The class column: a header name (default ``"label"``), or ``"first"`` / ``"last"`` for the
        first or last column -- then the file may have no header (the common numeric layout:
        a first row that is all numbers is data).

    Returns
    -------
    ClassificationTask
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"CSV file {path} does not exist")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows:
        raise DataFileError(f"{path}: the CSV file is empty")
    header, body, li = _csv_layout(path, rows, str(label_column))
    feats = [i for i in range(len(header)) if i != li]
    if not feats:
        raise DataFileError(f"{path}: no feature columns besides the label column '{header[li]}'")
    X = np.empty((len(body), len(feats)))
    labels = []
    first_line = len(rows) - len(body) + 1
    for r, row in enumerate(body, start=first_line):
        if len(row) != len(header):
            raise DataFileError(f"{path}: line {r} has {len(row)} fields, the first line has {len(header)}")
        labels.append(row[li].strip())
        for j, i in enumerate(feats):
            try:
                X[r - first_line, j] = float(row[i])
            except ValueError:
                raise DataFileError(f"{path}: line {r}, column '{header[i]}' is not a number "
                                    f"({row[i]!r}); features must be numeric") from None
    X = check_array(X, f"{path} features", ndim=2)
    _, y = np.unique(np.asarray(labels), return_inverse=True)
    return _split_csv(path, X, y, test_fraction, seed)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_layout(path: Path, rows: list, label_column: str) -> tuple[list, list, int]:
    """Column names, data rows and the label column's index (``first``/``last`` allow no header)."""
    if label_column in ("first", "last"):
        has_header = not all(_is_number(v) for v in rows[0])
        n = len(rows[0])
        header = [h.strip() for h in rows[0]] if has_header else [f"column {i + 1}" for i in range(n)]
        return header, rows[1:] if has_header else rows, 0 if label_column == "first" else n - 1
    header = [h.strip() for h in rows[0]]
    if label_column not in header:
        raise DataFileError(f"{path}: no '{label_column}' column (columns: {', '.join(header[:8])}); "
                            "name the class column with --label-column NAME, or use --label-column first|last "
                            "(also for files without a header)")
    return header, rows[1:], header.index(label_column)


def _split_csv(path, X, y, test_fraction, seed):
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    if len(counts) < 2 or counts.min() < 2:
        raise DataFileError(f"{path}: needs at least two classes with two or more rows each "
                            f"(class sizes {counts.tolist()})")
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1.0
    return ClassificationTask(path.stem, (Xtr - mu) / sd, ytr, (Xte - mu) / sd, yte,
                              f"{path.name}: {len(X)} rows, {X.shape[1]} features standardised on "
                              f"the training part, stratified {test_fraction:.0%} test split (seed {seed})")


def load_task(name, seed: int = 0, label_column: str = "label") -> ClassificationTask:
    """A classification task by name.

    Parameters
    ----------
    name : str or path
        ``"digits"``, ``"mnist1d"`` or the path of a CSV file (labels + feature columns).
    seed : int
        Seeds the train/test split (digits, CSV).
    label_column : str
        CSV only: the class column's name, or ``"first"`` / ``"last"`` (see :func:`load_csv_task`).

    Returns
    -------
    ClassificationTask
    """
    name = str(name)
    if name == "digits":
        return load_digits_task(seed=seed)
    if name == "mnist1d":
        return load_mnist1d_task()
    if name.lower().endswith(".csv") or Path(name).exists():
        return load_csv_task(name, seed=seed, label_column=label_column)
    raise InputError(f"unknown dataset {name!r}; use digits, mnist1d or a CSV file path")
