"""Charts for the HTML report: tidy DataFrame in, PNG bytes (or SVG text) out.

Every function draws (:mod:`survey.report.chart_style`: the font, palettes,
canvas and input checks they share) on its own :class:`matplotlib.figure.Figure` with the
Agg canvas (pyplot's global state and backend are never touched), inside an
``rc_context`` that selects the IPAexGothic font shipped by the
``matplotlib-fontja`` package, so Japanese labels render without tofu boxes.
The font is registered on first use, not at import, and without the global
``rcParams`` change that ``import matplotlib_fontja`` makes.

Output is deterministic: PNG files carry no ``Software`` / ``Creation Time``
text chunks and SVG files use a fixed ``svg.hashsalt`` and no ``Date``, so
two renders of the same frame are byte-identical.

Input frames are tidy (one row per plotted value); proportions are on the
0–1 scale, as :func:`survey.measures.tables.tabulate.frequencies` returns them.
Row order of the frame sets the order of groups, items and parts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.report.background import background
from survey.report.chart_style import (
    FONT_FAMILY, HIDDEN_LABEL, NONSUBSTANTIVE_LEVELS, SATISFACTION_LEVELS, _QUALITATIVE, _draw, _group_label, _legend,
    _numeric,
    _order, _require, _stacked_label, _text_colour, _wrap, japanese_font_path, level_colors,
)

__all__ = [
    "NONSUBSTANTIVE_LEVELS",
    "SATISFACTION_LEVELS",
    "allocation_chart",
    "index_chart",
    "japanese_font_path",
    "level_colors",
    "priority_heatmap",
    "satisfaction_chart",
]

@background
def satisfaction_chart(frame: pd.DataFrame, *, levels=SATISFACTION_LEVELS,
                       nonsubstantive=NONSUBSTANTIVE_LEVELS, title: str | None = None,
                       image_format: str = "png", width: float = 8.0, dpi: int = 144,
                       label_min: float = 0.06):
    """100% stacked horizontal bars: answer distribution by group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy columns ``by`` (the panel, e.g. 年齢 or 地区), ``group`` (the bar,
        e.g. 18〜29歳), ``level`` (an answer label from ``levels``),
        ``percent`` (weighted share, 0–1) and optionally ``base_n``
        (unweighted respondents, shown after the group label) and
        ``hidden`` (True for a cell the report suppresses as too small: its
        share is not drawn in place; the hidden shares of a bar are drawn
        together at its end as one hatched segment, 秘匿 — so no gap between
        segments shows a hidden width).  The shares of a group add up to 1
        (a missing level counts as 0).  A wide
        :func:`~survey.measures.tables.tabulate.crosstab_question` table becomes
        this frame with ``ct.melt(id_vars=["question", "by", "group",
        "base_n"], var_name="level", value_name="percent")``.
    levels : sequence of str, keyword-only
        Every level in drawing order (left to right); colours are fixed by
        position: green (agree) → purple (disagree), greys for the
        ``nonsubstantive`` levels (わからない, 無回答).
    label_min : float, keyword-only
        Segments at least this share get their percentage written inside.

    Returns
    -------
    bytes or str
        PNG bytes, or SVG text with ``image_format="svg"``.
    """
    name = "satisfaction_chart"
    cols = ["by", "group", "level", "percent"]
    _require(frame, cols, name)
    levels = list(levels)
    unknown = sorted(set(frame["level"]) - set(levels))
    if unknown:
        raise InputError(f"{name}: levels {unknown} are not in levels={levels}; pass the full level list")
    pct = _numeric(frame, "percent", name)
    if np.any((pct < 0) | (pct > 1 + 1e-9)):
        raise InputError(f"{name}: percent must be a share between 0 and 1; got values up to {np.nanmax(pct):.3g} "
                         "(divide percentages by 100)")
    data = frame.assign(percent=np.nan_to_num(pct))
    wide = data.pivot_table(index=["by", "group"], columns="level", values="percent", aggfunc="sum",
                            sort=False).reindex(columns=levels).fillna(0.0)
    sums = wide.sum(axis=1)
    off = sums[(sums - 1).abs() > 0.01]
    if len(off):
        (by, group), total = next(iter(off.items()))
        raise InputError(f"{name}: the shares of {by} / {group} add up to {total:.3f}, not 1; "
                         "include every level (わからない, 無回答 too)")
    base = (data.drop_duplicates(["by", "group"]).set_index(["by", "group"])["base_n"]
            if "base_n" in data.columns else None)
    secret = None
    if "hidden" in data.columns and data["hidden"].astype(bool).any():
        secret = data.assign(percent=np.where(data["hidden"].astype(bool), data["percent"], 0.0)).pivot_table(
            index=["by", "group"], values="percent", aggfunc="sum", sort=False)["percent"]
        shown = data.assign(percent=np.where(data["hidden"].astype(bool), 0.0, data["percent"]))
        wide = shown.pivot_table(index=["by", "group"], columns="level", values="percent", aggfunc="sum",
                                 sort=False).reindex(columns=levels).fillna(0.0)
    panels = _order(data["by"])
    colours = level_colors(levels, nonsubstantive)
    counts = [len(_order(data.loc[data["by"] == p, "group"])) for p in panels]
    height = 0.9 + 0.32 * sum(counts) + 0.35 * len(panels)

    def draw(fig):
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False,
                            gridspec_kw={"height_ratios": counts})[:, 0]
        for ax, panel in zip(axes, panels):
            groups = _order(data.loc[data["by"] == panel, "group"])
            ys = np.arange(len(groups))
            left = np.zeros(len(groups))
            for level in levels:
                share = wide.loc[[(panel, g) for g in groups], level].to_numpy()
                ax.barh(ys, share, left=left, color=colours[level], edgecolor="white", linewidth=0.6,
                        height=0.72, label=level)
                for y, lft, s in zip(ys, left, share):
                    if s >= label_min:
                        # inside its bar: no part of the layout (constrained layout measures every
                        # text it is given, and the bars' labels were most of them)
                        ax.text(lft + s / 2, y, f"{100 * s:.1f}", ha="center", va="center", fontsize=7.5,
                                color=_text_colour(colours[level]), in_layout=False)
                left += share
            if secret is not None:
                rest = secret.reindex([(panel, g) for g in groups]).fillna(0.0).to_numpy()
                ax.barh(ys, rest, left=left, color="#ffffff", edgecolor="#8c8c8c", hatch="///", linewidth=0.6,
                        height=0.72, label=HIDDEN_LABEL)
            ax.set_yticks(ys, [_group_label(g, None if base is None else base.get((panel, g)))
                               for g in groups])
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_title(str(panel), loc="left", fontsize=9.5)
            ax.tick_params(axis="y", length=0)
            ax.spines["left"].set_visible(False)
        axes[-1].xaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f}%")
        axes[-1].set_xticks(np.linspace(0, 1, 6))
        handles, labels = axes[0].get_legend_handles_labels()
        _legend(fig, handles, labels, ncol=4)
        if title:
            fig.suptitle(title, fontsize=11)

    return _draw(draw, width=width, height=height, image_format=image_format, dpi=dpi)


@background
def index_chart(frame: pd.DataFrame, *, target: float | None = None, baseline: float | None = None,
                target_label: str = "目標値", baseline_label: str = "基準値", ylabel: str = "",
                title: str | None = None, digits: int = 2, image_format: str = "png",
                width: float = 8.0, height: float = 3.6, dpi: int = 144):
    """An index with its confidence interval by group, against target and baseline.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy columns ``by`` (panel, e.g. 全体 / 年齢 / 地区), ``group``,
        ``estimate``, ``ci_low``, ``ci_high`` (the columns of
        ``Estimate.to_frame()``) and optionally ``base_n``.
    target, baseline : float, keyword-only
        Drawn as horizontal lines (dashed green, dotted grey) named in the legend
        as ``target_label`` / ``baseline_label`` with the value.
    digits : int, keyword-only
        Decimals of the values written in the line labels.
    """
    name = "index_chart"
    _require(frame, ["by", "group", "estimate", "ci_low", "ci_high"], name)
    est = _numeric(frame, "estimate", name)
    lo = _numeric(frame, "ci_low", name)
    hi = _numeric(frame, "ci_high", name)
    if np.any(lo > est + 1e-12) or np.any(hi < est - 1e-12):
        raise InputError(f"{name}: every ci_low ≤ estimate ≤ ci_high is required; check the column order")
    data = frame.assign(estimate=est, ci_low=lo, ci_high=hi)
    panels = _order(data["by"])
    counts = [len(_order(data.loc[data["by"] == p, "group"])) for p in panels]
    lines = [(v, f"{lab} {v:.{digits}f}", style) for v, lab, style in
             [(target, target_label, {"color": "#1b7837", "linestyle": "--"}),
              (baseline, baseline_label, {"color": "#777777", "linestyle": ":"})] if v is not None]
    values = np.concatenate([lo, hi, [v for v, _, _ in lines]])
    span = np.nanmax(values) - np.nanmin(values) or 1.0
    ylim = (np.nanmin(values) - 0.08 * span, np.nanmax(values) + 0.12 * span)

    def draw(fig):
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False,
                            gridspec_kw={"width_ratios": [c + 0.6 for c in counts]})[0]
        for i, (ax, panel) in enumerate(zip(axes, panels)):
            sub = data[data["by"] == panel]
            sub = sub.drop_duplicates("group")
            xs = np.arange(len(sub))
            for v, label, style in lines:
                ax.axhline(v, linewidth=1.1, zorder=1, label=label, **style)
            ax.errorbar(xs, sub["estimate"], yerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                        fmt="o", color="#0072B2", ecolor="#0072B2", elinewidth=1.4, capsize=3, markersize=5,
                        zorder=3)
            base = sub["base_n"] if "base_n" in sub.columns else [None] * len(sub)
            ax.set_xticks(xs, [_stacked_label(g, n) for g, n in zip(sub["group"], base)], fontsize=7.5)
            ax.set_xlim(-0.6, len(sub) - 0.4)
            ax.set_ylim(*ylim)
            ax.set_title(str(panel), fontsize=9.5)
            ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
            ax.set_axisbelow(True)
            if i == 0:
                ax.set_ylabel(ylabel)
        if lines:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside upper center", ncol=len(lines), frameon=False, fontsize=8)
        if title:
            fig.suptitle(title, fontsize=11)

    return _draw(draw, width=width, height=height, image_format=image_format, dpi=dpi)


@background
def allocation_chart(frame: pd.DataFrame, *, xlabel: str = "平均配分額（円）", title: str | None = None,
                     image_format: str = "png", width: float = 8.0, dpi: int = 144, wrap: int = 12):
    """Dot plot of mean yen per function (part), one colour per group, with CIs.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy columns ``part`` (the function of green, one row of the plot),
        ``group`` (colour; use a single value such as 全体 for no split),
        ``estimate`` (mean yen) and optionally ``ci_low``, ``ci_high`` —
        the long table of
        :func:`~survey.measures.allocation.means.allocation_means` with its ``by``
        column renamed to ``group``.
    """
    name = "allocation_chart"
    _require(frame, ["part", "group", "estimate"], name)
    est = _numeric(frame, "estimate", name)
    has_ci = {"ci_low", "ci_high"} <= set(frame.columns)
    data = frame.assign(estimate=est)
    if has_ci:
        data = data.assign(ci_low=_numeric(frame, "ci_low", name), ci_high=_numeric(frame, "ci_high", name))
    parts = _order(data["part"])
    groups = _order(data["group"])
    if len(groups) > len(_QUALITATIVE):
        raise InputError(f"{name}: {len(groups)} groups are too many colours for one chart "
                         f"(at most {len(_QUALITATIVE)}); split the chart or pool groups")
    height = 1.0 + 0.42 * len(parts) + 0.25 * (len(groups) > 1)
    step = 0.7 / max(len(groups), 1)

    def draw(fig):
        ax = fig.subplots()
        for k, group in enumerate(groups):
            sub = data[data["group"] == group].set_index("part").reindex(parts)
            ys = np.arange(len(parts)) + (k - (len(groups) - 1) / 2) * step
            colour = _QUALITATIVE[k]
            if has_ci:
                ax.hlines(ys, sub["ci_low"], sub["ci_high"], color=colour, linewidth=1.3, alpha=0.85)
            ax.plot(sub["estimate"], ys, "o", color=colour, markersize=4.5, label=str(group))
        ax.set_yticks(np.arange(len(parts)), [_wrap(p, wrap) for p in parts])
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
        ax.set_xlabel(xlabel)
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        for y in np.arange(len(parts) - 1) + 0.5:
            ax.axhline(y, color="#f0f0f0", linewidth=0.6)
        ax.set_axisbelow(True)
        if len(groups) > 1:
            _legend(fig, *ax.get_legend_handles_labels(), ncol=6)
        if title:
            fig.suptitle(title, fontsize=11)

    return _draw(draw, width=width, height=height, image_format=image_format, dpi=dpi)


@background
def priority_heatmap(frame: pd.DataFrame, *, title: str | None = None, cbar_label: str = "%",
                     image_format: str = "png", width: float = 8.0, dpi: int = 144, wrap: int = 8):
    """Group × item heat map of shares (e.g. age × priority item), annotated in %.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy columns ``group`` (row, e.g. age band), ``item`` (column, e.g.
        the policy item chosen), ``percent`` (share 0–1; missing cells stay
        blank) and optionally ``base_n`` (unweighted respondents per group)
        and ``hidden`` (True for a cell the report suppresses: blank, marked x).
    wrap : int, keyword-only
        Item labels are wrapped every ``wrap`` characters.
    """
    name = "priority_heatmap"
    _require(frame, ["group", "item", "percent"], name)
    pct = _numeric(frame, "percent", name)
    if np.any(pct[~np.isnan(pct)] < 0) or np.any(pct[~np.isnan(pct)] > 1 + 1e-9):
        raise InputError(f"{name}: percent must be a share between 0 and 1 (divide percentages by 100)")
    data = frame.assign(percent=pct)
    secret = data["hidden"].astype(bool).to_numpy() if "hidden" in data.columns else np.zeros(len(data), dtype=bool)
    data = data.assign(percent=np.where(secret, np.nan, data["percent"]), _x=secret)
    if data.duplicated(["group", "item"]).any():
        dup = data.loc[data.duplicated(["group", "item"]), ["group", "item"]].iloc[0].tolist()
        raise InputError(f"{name}: group/item {dup} appears twice; give one share per cell")
    groups, items = _order(data["group"]), _order(data["item"])
    grid = data.pivot(index="group", columns="item", values="percent").reindex(index=groups, columns=items)
    base = (data.drop_duplicates("group").set_index("group")["base_n"] if "base_n" in data.columns else None)
    marks = data.pivot(index="group", columns="item", values="_x").reindex(index=groups, columns=items)
    marks = marks.fillna(False).to_numpy(dtype=bool)
    annot = np.where(np.isnan(grid.to_numpy()), "", np.vectorize(lambda v: f"{100 * v:.1f}")(grid.to_numpy()))
    annot = np.where(marks, "x", annot)
    max_lines = max(len(_wrap(i, wrap).split("\n")) for i in items)
    height = 1.0 + 0.36 * len(groups) + 0.16 * max_lines

    def draw(fig):
        from matplotlib import colormaps
        from matplotlib.colors import to_rgba_array

        ax = fig.subplots()
        values = 100 * grid.to_numpy()
        missing = np.isnan(values)
        # the cells as a mesh (rows from the top), the colour bar beside it without an outline: the
        # picture of seaborn's heatmap, drawn directly (seaborn cost a second draw of the figure)
        mesh = ax.pcolormesh(np.ma.masked_where(missing, values), cmap=colormaps["Greens"], vmin=0,
                             vmax=max(float(np.nanmax(values)), 1e-9), linewidths=0.5, edgecolor="white")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set(xlim=(0, len(items)), ylim=(0, len(groups)))
        ax.invert_yaxis()
        fig.colorbar(mesh, ax=ax, label=cbar_label, pad=0.02).outline.set_linewidth(0)
        ax.set_xticks(np.arange(len(items)) + 0.5, [_wrap(i, wrap) for i in items], rotation=0, fontsize=7.5)
        ax.set_yticks(np.arange(len(groups)) + 0.5,
                      [_group_label(g, None if base is None else base.get(g)) for g in groups], rotation=0,
                      va="center")
        # the value in each shown cell, dark on light greens and white on dark ones (W3C relative luminance)
        mesh.update_scalarmappable()
        rgb = to_rgba_array(mesh.get_facecolors())[:, :3]
        lum = np.where(rgb <= .03928, rgb / 12.92, ((rgb + .055) / 1.055) ** 2.4) @ [.2126, .7152, .0722]
        for k, (i, j) in enumerate(np.ndindex(*values.shape)):
            if not missing[i, j]:
                ax.text(j + 0.5, i + 0.5, annot[i, j], color=".15" if lum[k] > .408 else "w", ha="center",
                        va="center", fontsize=7.5, in_layout=False)     # inside its cell: not laid out
        # seaborn leaves a missing cell bare, annotation and all: a hidden cell is drawn as in the
        # answer-distribution chart (hatched, 秘匿) with its x, never as an empty square
        from matplotlib.patches import Rectangle

        for i, j in zip(*np.nonzero(marks)):
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor="white", edgecolor="#b0b0b0", hatch="///", linewidth=0))
            ax.text(j + 0.5, i + 0.5, "x", ha="center", va="center", fontsize=7.5, color="#333333",
                    bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "edgecolor": "none"}, in_layout=False)
        if marks.any():
            key = Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#8c8c8c", hatch="///", linewidth=0.6)
            _legend(fig, [key], [f"x {HIDDEN_LABEL}"], ncol=1)
        ax.xaxis.tick_top()
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(length=0)
        if title:
            fig.suptitle(title, fontsize=11)

    return _draw(draw, width=width, height=height, image_format=image_format, dpi=dpi)
