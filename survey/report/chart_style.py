"""What the report's charts share: the Japanese font, the palettes, the deterministic
Agg canvas (PNG without time stamps, SVG with a fixed hash salt) and the checks of
the tidy frames they draw (see :mod:`survey.report.charts`).
"""
from __future__ import annotations

import io
import textwrap
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputError

__all__ = ["FONT_FAMILY", "HIDDEN_LABEL", "NONSUBSTANTIVE_LEVELS", "SATISFACTION_LEVELS", "japanese_font_path",
           "level_colors"]

#: Levels of 問6 (みどりの満足度) in questionnaire order, 無回答 last.
SATISFACTION_LEVELS = ("そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない",
                       "そう思わない", "わからない", "無回答")
#: Levels drawn in grey after the substantive scale.
NONSUBSTANTIVE_LEVELS = ("わからない", "無回答")

FONT_FAMILY = "IPAexGothic"
_SVG_SALT = "midori-survey"
# ColorBrewer PRGn, green (agree) first; the neutral middle is a light grey.
_DIVERGING = {
    2: ["#1b7837", "#762a83"],
    3: ["#1b7837", "#ececec", "#762a83"],
    4: ["#1b7837", "#a6dba0", "#c2a5cf", "#762a83"],
    5: ["#1b7837", "#a6dba0", "#ececec", "#c2a5cf", "#762a83"],
    6: ["#1b7837", "#7fbf7b", "#d9f0d3", "#e7d4e8", "#af8dc3", "#762a83"],
    7: ["#1b7837", "#7fbf7b", "#d9f0d3", "#ececec", "#e7d4e8", "#af8dc3", "#762a83"],
}
_GREYS = ["#b0b0b0", "#7a7a7a", "#555555"]
# Okabe–Ito, readable for colour-blind readers and in greyscale print.
_QUALITATIVE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_registered = False


def japanese_font_path() -> Path:
    """Path of ``ipaexg.ttf`` inside the installed ``matplotlib-fontja`` package."""
    spec = find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Japanese chart font is missing: install it with "
                         "`pip install matplotlib-fontja`")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    if not path.is_file():
        raise InputError(f"matplotlib-fontja is installed but {path} is missing; reinstall it")
    return path


def _ensure_font() -> None:
    global _registered
    if _registered:
        return
    from matplotlib import font_manager

    if FONT_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(japanese_font_path()))
    _registered = True


def _rc() -> dict:
    return {
        "font.family": [FONT_FAMILY, "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "path",
        "svg.hashsalt": _SVG_SALT,
        "figure.facecolor": "white",
    }


def _draw(draw, *, width: float, height: float, image_format: str, dpi: int):
    """Run ``draw(fig)`` on a fresh Agg figure and export it deterministically."""
    if image_format not in ("png", "svg"):
        raise InputError(f"image_format must be 'png' or 'svg', got {image_format!r}")
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _ensure_font()
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig)
        # lay the figure out once, here, and save it without its layout engine: savefig would
        # otherwise draw the whole figure once without output just to run the layout (text by
        # text) before drawing it again; the positions, and so the picture, are the same
        if fig.axes:              # as Figure.draw does: a figure without axes has nothing to lay out
            fig.get_layout_engine().execute(fig)
        fig.set_layout_engine(None)
        buf = io.BytesIO()
        if image_format == "png":
            return _png(fig, dpi)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue().decode("utf-8")


def _png(fig, dpi: int) -> bytes:
    """The figure as PNG, the pixels ``savefig`` writes (the canvas drawn once at ``dpi``, the
    resolution in the file, no text chunks) but without the alpha channel when every pixel is
    opaque, as the white figures are, and at zlib level 3 (issue 18: a quarter less time than
    savefig's level 6 with alpha, and a tenth smaller)."""
    from PIL import Image

    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    pixels = rgba[..., :3] if (rgba[..., 3] == 255).all() else rgba
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="png", dpi=(dpi, dpi), compress_level=3)
    return buf.getvalue()


def _require(frame, columns, chart: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{chart} takes a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{chart}: columns {missing} are missing; the frame has {list(frame.columns)}. "
                         f"Give the tidy columns {list(columns)}.")
    if frame.empty:
        raise InputError(f"{chart}: the frame has no rows; there is nothing to draw")
    for col in columns:
        if frame[col].isna().any() and col not in ("ci_low", "ci_high", "percent", "estimate", "base_n"):
            raise InputError(f"{chart}: column {col!r} has missing values; label them (e.g. 無回答)")
    return frame


def _numeric(frame, col, chart):
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna() & frame[col].notna()
    if bad.any():
        raise InputError(f"{chart}: column {col!r} must be numeric; got {frame[col][bad].iloc[0]!r}")
    return values.to_numpy(dtype=float)


def _order(values) -> list:
    return list(dict.fromkeys(values))


def _wrap(label, width: int) -> str:
    """Wrap a label every ``width`` characters (Japanese has no spaces)."""
    text = str(label)
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


def _group_label(group, base_n) -> str:
    if base_n is None or (isinstance(base_n, float) and np.isnan(base_n)):
        return str(group)
    return f"{group}（n={int(base_n):,}）"


def _text_colour(colour) -> str:
    """White on dark fills, near-black on light ones (relative luminance)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#222222"


def _legend(fig, handles, labels, *, ncol: int) -> None:
    """A figure legend above the axes that reads left to right, row by row, in the order of
    the bars (matplotlib fills a legend column by column: そう思う, どちらともいえない, … read
    across the first row of the distribution chart, 18〜29歳 came last in the allocation's)."""
    n = len(labels)
    ncol = max(1, min(ncol, n))
    rows = -(-n // ncol)
    order = [i * ncol + j for j in range(ncol) for i in range(rows) if i * ncol + j < n]
    fig.legend([handles[k] for k in order], [labels[k] for k in order], loc="outside upper center", ncol=ncol,
               frameon=False, fontsize=8)


def _stacked_label(group, base_n) -> str:
    """Group name over its n, for narrow x ticks."""
    if base_n is None or (isinstance(base_n, float) and np.isnan(base_n)):
        return _wrap(group, 6)
    return f"{_wrap(group, 6)}\n(n={int(base_n):,})"


def level_colors(levels, nonsubstantive=NONSUBSTANTIVE_LEVELS) -> dict:
    """Fixed colours: diverging green→purple for the scale, greys after it."""
    scale = [lv for lv in levels if lv not in nonsubstantive]
    extra = [lv for lv in levels if lv in nonsubstantive]
    if len(scale) in _DIVERGING:
        colours = _DIVERGING[len(scale)]
    else:
        from matplotlib import colormaps

        cmap = colormaps["PRGn_r"]
        colours = [cmap(x) for x in np.linspace(0.05, 0.95, len(scale))]
    out = dict(zip(scale, colours))
    out.update({lv: _GREYS[i % len(_GREYS)] for i, lv in enumerate(extra)})
    return out


#: Legend label of the segment holding a bar's suppressed cells.
HIDDEN_LABEL = "秘匿（人数が少ないセル）"
