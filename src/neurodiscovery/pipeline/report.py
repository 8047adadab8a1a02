"""Sections, figures and the self-contained HTML report of a run."""
from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Figure:
    """A saved figure: file stem under ``figures/`` and a one-sentence caption."""

    stem: str
    caption: str


@dataclass
class Section:
    """One report section.

    ``skipped`` holds the reason when the recording lacks what the section needs;
    ``metrics`` go to ``metrics.json`` under the section's key.
    """

    key: str
    title: str
    text: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)  # (caption, list-of-dict rows)
    metrics: dict = field(default_factory=dict)
    skipped: str | None = None


def save_figure(fig, figures_dir: Path, stem: str) -> None:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` and close the figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(figures_dir / f"{stem}.png", dpi=150)
    fig.savefig(figures_dir / f"{stem}.svg")
    plt.close(fig)


def _fmt(v) -> str:
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return html.escape(str(v))


def _table(rows: list[dict], caption: str) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.85em} caption{text-align:left;font-weight:600;padding:.3em 0}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right} th{background:#f3f3f3}
figure{display:inline-block;margin:.6em;max-width:520px;vertical-align:top} figure img{max-width:100%}
figcaption{font-size:.85em;color:#444} .skipped{color:#975;font-style:italic}
.key{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.5em}
.key div{background:#f6f8fa;border-radius:6px;padding:.5em .8em} .key b{display:block;font-size:1.25em}
"""


def render_html(title: str, key_numbers: list[tuple[str, str]], sections: list[Section],
                figures_dir: Path, config: dict) -> str:
    """One self-contained HTML page (figures embedded as base64 PNG) that opens offline."""
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts.append("<section id='key-numbers'><h2>Key numbers</h2><div class='key'>")
    for label, value in key_numbers:
        parts.append(f"<div>{html.escape(label)}<b>{html.escape(value)}</b></div>")
    parts.append("</div></section>")
    parts.append("<nav><ol>" + "".join(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a></li>"
                                         for s in sections) + "</ol></nav>")
    for s in sections:
        parts.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2>")
        if s.skipped:
            parts.append(f"<p class='skipped'>Skipped: {html.escape(s.skipped)}</p>")
        for t in s.text:
            parts.append(f"<p>{html.escape(t)}</p>")
        for caption, rows in s.tables:
            parts.append(_table(rows, caption))
        for f in s.figures:
            data = base64.b64encode((figures_dir / f"{f.stem}.png").read_bytes()).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(f.caption)}' data-file='figures/{f.stem}.png' "
                         f"src='data:image/png;base64,{data}'><figcaption>{html.escape(f.caption)}"
                         f"</figcaption></figure>")
        parts.append("</section>")
    parts.append("<section id='config'><h2>Configuration</h2><pre>"
                 + html.escape(json.dumps(config, indent=2, default=str)) + "</pre></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
