"""numba kernels of the native engine: counter-based random streams and weight/delay draws.

Split from :mod:`._kernels` (kernel code unchanged). splitmix64 seeds one xorshift64* stream
per (seed, a, b); draws are bit-for-bit those the engine's pinned digests were recorded with.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_U64 = np.uint64
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_XM = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


# ----------------------------------------------------------------------------- RNG
@njit(cache=True, inline="always")
def _splitmix(x):
    z = x + _GOLD
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def seed_stream(seed, a, b):
    """Well-mixed non-zero 64-bit state for stream (a, b) of ``seed``."""
    s = _splitmix(_splitmix(_splitmix(np.uint64(seed)) ^ np.uint64(a)) ^ np.uint64(b))
    if s == np.uint64(0):
        s = _GOLD
    return s


@njit(cache=True)
def neuron_streams(seed, n):
    """Independent xorshift64* states for the Poisson input of each of ``n`` neurons."""
    out = np.empty(n, np.uint64)
    for j in range(n):
        out[j] = seed_stream(seed, 99991, j)
    return out


@njit(cache=True, inline="always")
def _next(state, i):
    # xorshift64*: 1 ns per draw, state lives in a 1-element slot of an array
    x = state[i]
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    state[i] = x
    return x * _XM


@njit(cache=True, inline="always")
def uniform(state, i):
    """Uniform float in [0, 1)."""
    return float(_next(state, i) >> _S11) * _INV53


@njit(cache=True, inline="always")
def randint(state, i, n):
    """Uniform int in [0, n) (Lemire-free float method; bias < 2**-40 for n < 2**13... 2**31)."""
    return int(uniform(state, i) * n)


@njit(cache=True, inline="always")
def normal(state, i):
    """Standard normal (Marsaglia polar method, one value per call)."""
    while True:
        v1 = 2.0 * uniform(state, i) - 1.0
        v2 = 2.0 * uniform(state, i) - 1.0
        q = v1 * v1 + v2 * v2
        if 0.0 < q < 1.0:
            return v1 * math.sqrt(-2.0 * math.log(q) / q)


@njit(cache=True, inline="always")
def poisson_small(state, i, lam, exp_mlam):
    """Poisson draw by sequential inversion (exact; cost ~ 1 + lam iterations)."""
    u = uniform(state, i)
    k = 0
    p = exp_mlam
    c = p
    while u > c:
        k += 1
        p *= lam / k
        c += p
        if k > 1000 + 20 * lam:  # numerical tail guard: c stopped growing
            break
    return k


@njit(cache=True)
def poisson_any(state, i, lam):
    """Poisson draw for any rate: inversion for small, split into chunks of <= 30 for large."""
    k = 0
    while lam > 30.0:
        k += poisson_small(state, i, 30.0, math.exp(-30.0))
        lam -= 30.0
    if lam > 0:
        k += poisson_small(state, i, lam, math.exp(-lam))
    return k


# ----------------------------------------------------------------------------- building
@njit(cache=True, inline="always")
def _draw(kind, a, b, sign, st):
    """Draw from distribution kind (0 const, 1 normal, 2 uniform); redraw to keep ``sign``."""
    if kind == 0:
        return a
    for _ in range(1000):
        if kind == 1:
            x = a + b * normal(st, 0)
        else:
            x = a + (b - a) * uniform(st, 0)
        if sign == 0 or (sign > 0 and x >= 0.0) or (sign < 0 and x <= 0.0):
            return x
    return 0.0


@njit(cache=True, inline="always")
def _draw_delay(kind, a, b, dt, max_steps, st):
    """Delay in steps: rounded to the grid, redrawn while < 1 step or > max_steps."""
    if kind == 0:
        return int(round(a / dt))
    for _ in range(10000):
        if kind == 1:
            x = a + b * normal(st, 0)
        else:
            x = a + (b - a) * uniform(st, 0)
        d = int(round(x / dt))
        # NEST: redraw values below one resolution step, then round to the grid
        if x >= dt * (1.0 - 1e-9) and d <= max_steps:
            return d
    return 1


@njit(cache=True, inline="always")
def _wd(wk, wa, wb, wsign, dk, da, db, dt, dmax, wst):
    """Weight (pA) and delay (steps) of one synapse. Scalar arguments only: a numba call
    with many array arguments costs tens of ns, too much per synapse."""
    if wk == 1 and dk == 1:
        # one Box-Muller pair gives the two independent normals (weight, delay); fall back
        # to the redraw loops only when one is rejected
        # Marsaglia polar method: two independent normals, no trigonometry
        while True:
            v1 = 2.0 * uniform(wst, 0) - 1.0
            v2 = 2.0 * uniform(wst, 0) - 1.0
            q = v1 * v1 + v2 * v2
            if 0.0 < q < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(q) / q)
        w = wa + wb * v1 * f
        if not (wsign == 0 or (wsign > 0 and w >= 0.0) or (wsign < 0 and w <= 0.0)):
            w = _draw(wk, wa, wb, wsign, wst)
        x = da + db * v2 * f
        d = int(round(x / dt))
        if not (x >= dt * (1.0 - 1e-9) and d <= dmax):
            d = _draw_delay(dk, da, db, dt, dmax, wst)
    else:
        w = _draw(wk, wa, wb, wsign, wst)
        d = _draw_delay(dk, da, db, dt, dmax, wst)
    return w, d
