"""Sections, figures and the self-contained HTML report of a run.

Every string that reaches the HTML (titles, prose, table cells, captions, key numbers, the
configuration) is escaped, in text and in attributes; figure files are named by a safe slug of
the figure's name with a numeric suffix on collision (:class:`FigureWriter`), never by the raw
name, so a behaviour called ``a/b`` or ``x' onerror='...`` neither breaks the run nor injects
markup.
"""
from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Figure", "FigureWriter", "Section", "render_html", "save_figure", "slugify"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_SLUG = 80


def slugify(name: str) -> str:
    """A file-name-safe stem of ``name``: ASCII letters, digits, ``_`` and ``-`` only.

    Parameters
    ----------
    name : str
        Any text (behaviour names come from user files and may hold ``/``, quotes, markup or
        non-ASCII characters).

    Returns
    -------
    str
        Non-empty, at most 80 characters; non-ASCII letters lose their accents, every other
        run of unsafe characters becomes one ``_``. Different names can give the same slug:
        :class:`FigureWriter` adds a suffix to keep file names distinct.
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("_", text).strip("_-")[:_MAX_SLUG]
    return slug or "figure"


def _esc(value) -> str:
    """Escape for HTML text and single- or double-quoted attributes."""
    return html.escape(str(value), quote=True)


@dataclass
class Figure:
    """A saved figure: file stem under ``figures/`` (a :func:`slugify`-safe name) and a caption.

    ``wide`` figures (multi-panel grids) span the page width so every panel's text stays readable;
    every figure opens at full resolution on click.
    """

    stem: str
    caption: str
    wide: bool = False


@dataclass
class Section:
    """One report section.

    Attributes
    ----------
    key : str
        Anchor and ``metrics.json`` key.
    title : str
    text : list of str
        Paragraphs (plain text; escaped when rendered).
    figures : list of Figure
    tables : list of (str, list of dict)
        Caption and rows.
    metrics : dict
        What goes to ``metrics.json`` under ``key``.
    skipped : str or None
        Why the section did not run (the recording lacks what it needs).
    key_numbers : list of (str, str)
        Label and formatted value shown at the top of the report.
    """

    key: str
    title: str
    text: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)  # (caption, list-of-dict rows)
    metrics: dict = field(default_factory=dict)
    skipped: str | None = None
    key_numbers: list = field(default_factory=list)


def save_figure(fig, figures_dir: Path, stem: str, formats: tuple = ("png", "svg")) -> str:
    """Write ``<slug>.png`` (150 dpi) and the other ``formats``, close the figure, return the slug.

    Parameters
    ----------
    fig : matplotlib Figure
    figures_dir : Path
    stem : str
        Figure name; written under :func:`slugify` ``(stem)``. Use :class:`FigureWriter` when
        several names could map to the same slug.
    formats : tuple of str
        File formats; PNG is always written (the HTML report embeds it). Every extra format
        redraws the figure, which dominates the time of figure-heavy sections.

    Returns
    -------
    str
        The file stem actually written.
    """
    import matplotlib.pyplot as plt

    safe = slugify(stem)
    fig.tight_layout()
    fig.savefig(Path(figures_dir) / f"{safe}.png", dpi=150)
    for fmt in dict.fromkeys(formats):
        if fmt != "png":
            fig.savefig(Path(figures_dir) / f"{safe}.{fmt}")
    plt.close(fig)
    return safe


class FigureWriter:
    """Saves the figures of one run under distinct, safe file names.

    Parameters
    ----------
    figures_dir : Path
        The run's ``figures/`` folder.
    formats : tuple of str
        File formats of every figure (PNG always; see :func:`save_figure`).

    Examples
    --------
    >>> w = FigureWriter(run.figures)                                # doctest: +SKIP
    >>> sec.figures.append(w.save(fig, f"tuning_{label}", "Tuning curves ..."))  # doctest: +SKIP
    """

    def __init__(self, figures_dir: Path, formats: tuple = ("png", "svg")):
        self.figures_dir = Path(figures_dir)
        self.formats = tuple(formats)
        self._used: set[str] = set()

    def stem_for(self, name: str) -> str:
        """Reserve and return a slug of ``name`` not used before in this run (``-2``, ``-3`` ... on clash)."""
        base = slugify(name)
        stem, k = base, 1
        while stem.lower() in self._used:  # case-insensitive: some file systems fold case
            k += 1
            stem = f"{base}-{k}"
        self._used.add(stem.lower())
        return stem

    def save(self, fig, name: str, caption: str, wide: bool | None = None) -> Figure:
        """Save ``fig`` in ``formats`` under a fresh slug of ``name``; return its :class:`Figure`.

        ``wide`` (default: figures at least 7.5 in wide, i.e. multi-panel grids) lays it out at the
        page width in the report.
        """
        stem = self.stem_for(name)
        if wide is None:
            wide = bool(fig.get_size_inches()[0] >= 7.5)
        save_figure(fig, self.figures_dir, stem, self.formats)
        return Figure(stem, caption, wide)


def _fmt(v) -> str:
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return _esc(v)


def _table(rows: list[dict], caption: str) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><caption>{_esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.85em} caption{text-align:left;font-weight:600;padding:.3em 0}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right} th{background:#f3f3f3}
figure{display:inline-block;margin:.6em;max-width:520px;vertical-align:top} figure img{max-width:100%;cursor:zoom-in}
figure.wide{display:block;max-width:100%;margin:.6em 0}
figcaption{font-size:.85em;color:#444} .skipped{color:#975;font-style:italic}
.key{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.5em}
.key div{background:#f6f8fa;border-radius:6px;padding:.5em .8em} .key b{display:block;font-size:1.25em}
"""


def _figure_html(f: Figure, figures_dir: Path) -> str:
    # the file is looked up by its slug (what save_figure wrote), so a raw name can neither reach
    # outside figures/ nor break out of the attribute
    stem = slugify(f.stem)
    data = base64.b64encode((Path(figures_dir) / f"{stem}.png").read_bytes()).decode("ascii")
    cls = " class=\"wide\"" if getattr(f, "wide", False) else ""
    # a click opens the full-resolution file of the run folder
    return (f"<figure{cls}><a href=\"figures/{stem}.png\" target=\"_blank\"><img alt=\"{_esc(f.caption)}\" "
            f"data-file=\"figures/{stem}.png\" src=\"data:image/png;base64,{data}\"></a>"
            f"<figcaption>{_esc(f.caption)}</figcaption></figure>")


def _section_html(s: Section, figures_dir: Path) -> list[str]:
    parts = [f"<section id=\"{_esc(s.key)}\"><h2>{_esc(s.title)}</h2>"]
    if s.skipped:
        parts.append(f"<p class=\"skipped\">Skipped: {_esc(s.skipped)}</p>")
    parts += [f"<p>{_esc(t)}</p>" for t in s.text]
    parts += [_table(rows, caption) for caption, rows in s.tables]
    parts += [_figure_html(f, figures_dir) for f in s.figures]
    parts.append("</section>")
    return parts


def _key_number(kn) -> tuple[str, str]:
    """(label, shown value) of a :class:`~neurodiscovery._utils.quantity.Quantity` or a (label, text) pair."""
    if hasattr(kn, "format") and hasattr(kn, "label"):
        return kn.label, kn.format()
    return kn


def render_html(title: str, key_numbers: list, sections: list[Section],
                figures_dir: Path, config: dict) -> str:
    """One self-contained HTML page (figures embedded as base64 PNG) that opens offline.

    Parameters
    ----------
    title : str
    key_numbers : list of Quantity or (str, str)
        Shown first: each :class:`~neurodiscovery._utils.quantity.Quantity` by its label and
        :meth:`~neurodiscovery._utils.quantity.Quantity.format`.
    sections : list of Section
    figures_dir : Path
        Where the sections' figures were saved (``<stem>.png``).
    config : dict
        Shown at the end as JSON.

    Returns
    -------
    str
        The HTML text; every user-derived string is escaped.
    """
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_esc(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>"]
    parts.append("<section id=\"key-numbers\"><h2>Key numbers</h2><div class=\"key\">")
    parts += [f"<div>{_esc(label)}<b>{_esc(value)}</b></div>" for label, value in map(_key_number, key_numbers)]
    parts.append("</div></section>")
    parts.append("<nav><ol>" + "".join(f"<li><a href=\"#{_esc(s.key)}\">{_esc(s.title)}</a></li>"
                                         for s in sections) + "</ol></nav>")
    for s in sections:
        parts += _section_html(s, figures_dir)
    parts.append("<section id=\"config\"><h2>Configuration</h2><pre>"
                 + _esc(json.dumps(config, indent=2, default=str)) + "</pre></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
