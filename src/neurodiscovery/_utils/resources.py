"""Memory estimates checked before large allocations.

Every array whose size a user controls (bins x units from ``bin_size_s``, the lagged
design, event-aligned counts, arrays declared in a file header, network activations)
is estimated first and refused with one line when it would exceed the memory limit:
the estimate, the limit and what to change. The limit is, in order:

1. the ``max_memory_gb`` argument of :func:`check_allocation`,
2. the ``NEURODISCOVERY_MAX_MEMORY_GB`` environment variable (GiB, a number > 0),
3. the default: half of the memory available now (``MemAvailable`` on Linux), capped by
   half of the process's address-space limit (``ulimit -v``) when one is set.

Half leaves room for the copies numpy makes on the way (float conversion, views made
contiguous) and for the other users of a shared machine.
"""
from __future__ import annotations

import math
import os

from .errors import InputError

#: Environment variable that sets the memory limit, in GiB.
ENV_VAR = "NEURODISCOVERY_MAX_MEMORY_GB"
#: Share of the available memory one allocation may take by default.
DEFAULT_FRACTION = 0.5
_FALLBACK_BYTES = 8 * 2**30  # when the OS will not say (no /proc, no sysconf)


class ResourceError(InputError):
    """A requested computation would need more memory than the limit allows."""


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'`` (binary units up to PiB)."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} PiB"


def array_bytes(shape, itemsize: int = 8) -> int:
    """Bytes of an array of ``shape`` (exact Python integer: never overflows).

    Parameters
    ----------
    shape : sequence of int or float
        Dimensions; floats (estimates) are rounded up.
    itemsize : int
        Bytes per element (8 for float64).
    """
    total = int(itemsize)
    for d in shape:
        d = float(d)
        if not math.isfinite(d):
            return 2**80  # an infinite request is refused like a huge one
        total *= max(int(math.ceil(d)), 0)
    return total


def available_memory_bytes() -> int | None:
    """Memory available to new allocations now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_limit() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def memory_limit_bytes(max_memory_gb: float | None = None) -> tuple[int, str]:
    """The limit in bytes and a short phrase saying where it comes from.

    Parameters
    ----------
    max_memory_gb : float, optional
        Explicit limit in GiB; overrides the environment variable and the default.
    """
    if max_memory_gb is None and os.environ.get(ENV_VAR, "").strip():
        text = os.environ[ENV_VAR].strip()
        try:
            max_memory_gb = float(text)
        except ValueError:
            raise InputError(f"{ENV_VAR}={text!r} is not a number of GiB") from None
        source = f"{ENV_VAR}={text}"
    else:
        source = "max_memory_gb" if max_memory_gb is not None else None
    if max_memory_gb is not None:
        if not (math.isfinite(max_memory_gb) and max_memory_gb > 0):
            raise InputError(f"the memory limit must be a positive number of GiB, got {max_memory_gb}")
        return int(max_memory_gb * 2**30), source or "max_memory_gb"
    avail = available_memory_bytes()
    limit = int(DEFAULT_FRACTION * avail) if avail else _FALLBACK_BYTES
    rl = _address_space_limit()
    if rl is not None:
        limit = min(limit, int(DEFAULT_FRACTION * rl))
    return limit, f"default: half the available memory; set {ENV_VAR} to change"


def check_allocation(n_bytes: int, what: str, change: str, *, max_memory_gb: float | None = None) -> None:
    """Refuse, with one line, an allocation larger than the memory limit.

    Parameters
    ----------
    n_bytes : int
        Estimated bytes (see :func:`array_bytes`).
    what : str
        What would be allocated, with its shape, e.g. ``"binned counts (8.7e13 bins x 15 units)"``.
    change : str
        What the user can change, e.g. ``"use a larger --bin-size"``.
    max_memory_gb : float, optional
        Explicit limit (GiB); default from :func:`memory_limit_bytes`.

    Raises
    ------
    ResourceError
        When ``n_bytes`` exceeds the limit.
    """
    limit, source = memory_limit_bytes(max_memory_gb)
    if n_bytes > limit:
        raise ResourceError(f"{what} would need {format_bytes(n_bytes)}, above the memory limit of "
                            f"{format_bytes(limit)} ({source}); {change}")


def npz_headers(npz) -> dict[str, tuple[tuple[int, ...], "object"]]:
    """Shape and dtype of every array of an open ``np.load`` NPZ, read from the headers only.

    Parameters
    ----------
    npz : numpy.lib.npyio.NpzFile

    Returns
    -------
    dict
        ``{key: (shape, dtype)}``; nothing but the few header bytes is read.

    Raises
    ------
    DataFileError
        A member whose header cannot be parsed, or that declares more data than it holds.
    """
    import numpy as np

    from .errors import DataFileError

    out = {}
    fmt = np.lib.format
    for key in npz.files:
        member = key if key in npz.zip.namelist() else f"{key}.npy"
        size = npz.zip.getinfo(member).file_size
        try:
            with npz.zip.open(member) as fh:
                version = fmt.read_magic(fh)
                reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                shape, _, dtype = reader(fh, max_header_size=2**16)
        except (ValueError, OSError, EOFError, KeyError) as exc:
            raise DataFileError(f"array '{key}' has an unreadable header ({' '.join(str(exc).split())[:120]})"
                                ) from None
        if not dtype.hasobject and array_bytes(shape, dtype.itemsize) > size:
            raise DataFileError(f"array '{key}' declares shape {shape} ({format_bytes(array_bytes(shape, dtype.itemsize))})"
                                f" but its file member holds only {format_bytes(size)}: truncated or tampered")
        out[key] = (tuple(shape), dtype)
    return out


def check_npz(npz, what: str, *, max_memory_gb: float | None = None) -> dict:
    """Check an NPZ's declared arrays before reading any: pickled objects and total size.

    Returns :func:`npz_headers`' result. Raises :class:`DataFileError` for object arrays
    (they would need pickle, which is never loaded) and :class:`ResourceError` when the
    arrays together exceed the memory limit.
    """
    from .errors import DataFileError

    heads = npz_headers(npz)
    pickled = sorted(k for k, (_, dt) in heads.items() if dt.hasobject)
    if pickled:
        raise DataFileError(f"{what}: field(s) {', '.join(pickled)} hold pickled Python objects, which are "
                            "never loaded (they can run code); save plain numeric or string arrays")
    total = sum(array_bytes(shape, dt.itemsize) for shape, dt in heads.values())
    check_allocation(total, f"reading {what} ({len(heads)} arrays as declared in its headers)",
                     "check the file (a header may be damaged) or raise the limit", max_memory_gb=max_memory_gb)
    return heads
