"""U-Net for serial-section EM boundary / affinity prediction, and its checkpoints.

Checkpoints use the package's one format (:mod:`neurodiscovery._utils.checkpoint`): a
folder with ``state_dict.pt`` (tensors only, loaded with ``weights_only=True``) and
``config.json`` (the :class:`UNetConfig`, metadata and the tensor table).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..._utils.errors import DataFileError, InputError, MissingFileError

_TARGETS = ("boundary", "affinities")


@dataclass
class UNetConfig:
    """Architecture and target of a :class:`UNet`.

    Parameters
    ----------
    ndim : {2, 3}
        Spatial dimensions. 3 gives an anisotropic 3D U-Net for serial sections.
    in_channels : int
        Input channels (1 for grey-scale EM).
    base_channels : int
        Feature maps at the finest level; doubled at each coarser level.
    depth : int
        Number of resolution levels (``depth - 1`` poolings by 2).
    target : {"boundary", "affinities"}
        ``"boundary"``: one output channel, probability that a voxel is membrane.
        ``"affinities"``: ``ndim`` channels, probability that a voxel and its
        predecessor along axis ``c`` belong to the same object (``z, y, x`` order).
    anisotropic_levels : int
        3D only: the first ``anisotropic_levels`` levels use ``(1, 3, 3)`` kernels and
        pool only in-plane ``(1, 2, 2)``, because ssTEM sections (~50 nm) are ~10x
        thicker than the in-plane pixel size (~4 nm).
    extra : dict
        Free-form settings stored with the checkpoint.
    """

    ndim: int = 2
    in_channels: int = 1
    base_channels: int = 16
    depth: int = 4
    target: str = "boundary"
    anisotropic_levels: int = 2
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        from ..._utils.validation import check_field_types

        check_field_types(self, "U-Net config")
        if self.ndim not in (2, 3):
            raise InputError(f"UNetConfig.ndim must be 2 or 3, got {self.ndim}")
        if self.target not in _TARGETS:
            raise InputError(f"UNetConfig.target must be one of {_TARGETS}, got {self.target!r}")
        for name in ("in_channels", "base_channels", "depth"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"UNetConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.anisotropic_levels < 0:
            raise InputError("UNetConfig.anisotropic_levels must be >= 0")

    @property
    def out_channels(self) -> int:
        """Output channels: 1 for boundaries, ``ndim`` for affinities."""
        return 1 if self.target == "boundary" else self.ndim

    @property
    def divisor(self) -> tuple[int, ...]:
        """Input sizes must be multiples of this (per spatial axis) so poolings are exact."""
        n_pool = self.depth - 1
        if self.ndim == 2:
            return (2**n_pool, 2**n_pool)
        z_pools = max(0, n_pool - self.anisotropic_levels)
        return (2**z_pools, 2**n_pool, 2**n_pool)

    def to_json(self) -> str:
        """The config as JSON text (sorted keys)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "UNetConfig":
        """Config from ``text`` written by :meth:`to_json`; unknown fields are a :class:`DataFileError`."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"checkpoint config is not valid JSON ({exc})") from None
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise DataFileError(f"checkpoint config has unknown fields {sorted(unknown)}")
        return cls(**d)


def _conv(ndim: int, cin: int, cout: int, aniso: bool) -> nn.Module:
    if ndim == 2:
        return nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    k, p = ((1, 3, 3), (0, 1, 1)) if aniso else (3, 1)
    return nn.Conv3d(cin, cout, k, padding=p, bias=False)


class _Block(nn.Sequential):
    """Two (conv, batch-norm, ReLU) layers; 'same' padding keeps the spatial size."""

    def __init__(self, ndim: int, cin: int, cout: int, aniso: bool):
        bn = nn.BatchNorm2d if ndim == 2 else nn.BatchNorm3d
        super().__init__(
            _conv(ndim, cin, cout, aniso), bn(cout), nn.ReLU(inplace=True),
            _conv(ndim, cout, cout, aniso), bn(cout), nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """U-Net (Ronneberger et al. 2015) with 'same' convolutions, 2D or anisotropic 3D.

    Parameters
    ----------
    config : UNetConfig

    Notes
    -----
    ``forward`` takes ``(batch, in_channels, *spatial)`` float32 in roughly [-1, 1]
    and returns *logits* ``(batch, out_channels, *spatial)``; apply a sigmoid for
    probabilities. Spatial sizes must be multiples of ``config.divisor``.
    """

    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = config
        c, nd = config, config.ndim
        widths = [c.base_channels * 2**i for i in range(c.depth)]
        self.down = nn.ModuleList()
        self.pools = nn.ModuleList()
        self.ups = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        cin = c.in_channels
        for lvl, w in enumerate(widths):
            aniso = nd == 3 and lvl < c.anisotropic_levels
            self.down.append(_Block(nd, cin, w, aniso))
            cin = w
        for lvl in range(c.depth - 1):
            aniso = nd == 3 and lvl < c.anisotropic_levels
            if nd == 2:
                self.pools.append(nn.MaxPool2d(2))
                self.ups.append(nn.ConvTranspose2d(widths[lvl + 1], widths[lvl], 2, stride=2))
            else:
                s = (1, 2, 2) if aniso else (2, 2, 2)
                self.pools.append(nn.MaxPool3d(s))
                self.ups.append(nn.ConvTranspose3d(widths[lvl + 1], widths[lvl], s, stride=s))
            self.up_blocks.append(_Block(nd, 2 * widths[lvl], widths[lvl], aniso))
        head = nn.Conv2d if nd == 2 else nn.Conv3d
        self.head = head(widths[0], c.out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, out_channels, *spatial)`` of the input ``x``, shape ``(batch, in_channels, *spatial)``."""
        skips = []
        for lvl, block in enumerate(self.down):
            x = block(x)
            if lvl < len(self.pools):
                skips.append(x)
                x = self.pools[lvl](x)
        for lvl in reversed(range(len(self.pools))):
            x = self.ups[lvl](x)
            x = self.up_blocks[lvl](torch.cat([skips[lvl], x], dim=1))
        return self.head(x)

    @property
    def n_parameters(self) -> int:
        """Number of parameters (weights and biases)."""
        return sum(p.numel() for p in self.parameters())


#: ``kind`` of EM U-Net checkpoints in the package's checkpoint format.
CHECKPOINT_KIND = "em_unet"


def save_checkpoint(model: UNet, path: str | os.PathLike, metadata: dict[str, Any] | None = None,
                    half: bool = True) -> Path:
    """Save a U-Net as a checkpoint folder (``state_dict.pt`` + ``config.json``).

    Parameters
    ----------
    model : UNet
    path : path-like
        Checkpoint folder to create (must not exist).
    metadata : dict, optional
        JSON-serialisable facts (training data, scores, seed, tuned watershed parameters).
    half : bool
        Store floating-point weights as float16 to halve the size; cast back to float32
        on load (the precision loss is far below the training noise).

    Returns
    -------
    Path
        The folder (see :mod:`neurodiscovery._utils.checkpoint`).
    """
    from ..._utils.checkpoint import save_checkpoint as _save

    return _save(path, model.state_dict(), asdict(model.config), kind=CHECKPOINT_KIND,
                 metadata=metadata, half=half)


def _check_config_size(path: Path, config: UNetConfig, n_weights: int) -> None:
    """Refuse a config that describes a far larger network than the weights hold, before building it.

    Two 3^ndim convolutions per level on the way down and about three on the way up give
    roughly ``5 * 3^ndim * width^2`` parameters per level (an over-estimate by < 3x).
    """
    from ..._utils.resources import check_allocation

    widths = [config.base_channels * 2**level for level in range(config.depth)]
    est = 5 * 3**config.ndim * sum(w * w for w in widths)
    check_allocation(4 * est, f"building the U-Net that {path}/config.json describes "
                              f"(base_channels={config.base_channels}, depth={config.depth}: ~{est:.3g} parameters)",
                     "the config was likely edited; restore the checkpoint folder")
    if est > 8 * n_weights + 10**6:
        raise DataFileError(f"{path}: config.json describes a U-Net of ~{est:.3g} parameters but state_dict.pt "
                            f"holds {n_weights}; the config does not belong to these weights")


def load_checkpoint(path: str | os.PathLike, expect: UNetConfig | None = None
                    ) -> tuple[UNet, dict[str, Any]]:
    """Load a U-Net checkpoint folder written by :func:`save_checkpoint` (``weights_only``).

    Parameters
    ----------
    path : path-like
        Checkpoint folder.
    expect : UNetConfig, optional
        If given, the checkpoint must have exactly this architecture.

    Returns
    -------
    model : UNet
        In eval mode, float32, on CPU.
    metadata : dict

    Raises
    ------
    MissingFileError
        ``path`` does not exist.
    DataFileError, InputError
        Not a checkpoint folder, not an EM U-Net checkpoint, or weights that do not fit
        the architecture its config (or ``expect``) describes.
    """
    from ..._utils.checkpoint import load_checkpoint as _load

    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"checkpoint {path} does not exist")
    if path.is_file():
        raise InputError(f"{path} is a file; EM checkpoints are folders holding state_dict.pt and "
                         "config.json (the package's checkpoint format)")
    ck = _load(path, kind=CHECKPOINT_KIND)
    try:
        config = UNetConfig(**ck.config)
    except TypeError as exc:
        raise DataFileError(f"{path}: config.json does not describe a U-Net ({exc})") from None
    except InputError as exc:
        raise DataFileError(f"{path}: config.json: {exc}") from None
    if expect is not None and asdict(expect) != asdict(config):
        raise InputError(f"{path} holds architecture {asdict(config)}, expected {asdict(expect)}")
    sd = ck.state_dict
    _check_config_size(path, config, sum(int(v.numel()) for v in sd.values()))
    model = UNet(config)
    own = model.state_dict()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    bad_shape = [k for k in own if k in sd and tuple(own[k].shape) != tuple(sd[k].shape)]
    if missing or unexpected or bad_shape:
        raise InputError(
            f"{path}: weights do not match the U-Net architecture in its config "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}, wrong shape {bad_shape[:3]}); "
            "the checkpoint comes from another architecture")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in sd.items()})
    model.eval()
    return model, dict(ck.metadata)


def default_checkpoint_path() -> Path:
    """Folder of the small pretrained 2D boundary U-Net shipped with the package."""
    return Path(__file__).resolve().parent / "_weights" / "isbi2012_unet2d"
