"""The 自由記述 (free-text) part of the deliverable: a ``report.html`` section
and a workbook sheet, from :class:`survey.measures.freetext.analyse.FreeTextTables`
with their groups named (:func:`survey.report.labels.label_frame`: the estimator
returns the attributes' codes).

Only masked text reaches this module (the tables are built from masked
comments), and every quote is autoescaped by the HTML writer.  Charts: the
theme shares by group (heat map, :func:`survey.report.charts.priority_heatmap`)
and the co-occurrence network (:func:`cooccurrence_chart`), drawn with a
deterministic force-directed layout (:func:`network_layout`: Fruchterman &
Reingold 1991 started from a circle, no random numbers), so two runs give
the same PNG bytes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.labels import TOTAL_LABEL
from survey.report.background import background
from survey.report import charts
from survey.report.chart_style import _draw
from survey.report.crosstab import SMALL_BASE, has_small_base, mark_small_base, small_base_sheet_note
from survey.report.disclosure import HIDDEN
from survey.report.freetext_cells import comments_hidden
from survey.report.format import UNWEIGHTED, WEIGHTED, with_kinds
from survey.report.html import Figure, Section, Table
from survey.report.prose import prose
from survey.report.tableinfo import Measure, describe
from survey.report.writers import Sheet

__all__ = [
    "characteristic_table",
    "comment_status",
    "cooccurrence_chart",
    "freetext_section",
    "freetext_sheet",
    "network_layout",
    "quote_table",
    "theme_long",
    "theme_table",
    "word_table",
]

_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"]


def _group_names(tables) -> dict:
    """Theme group id -> its name in the report (the keyword dictionary's ``groups:``)."""
    return dict(tables.notes.get("theme_groups", {}))


def _pct(value) -> float:
    if isinstance(value, str):      # a suppressed share (x)
        return value
    return float("nan") if pd.isna(value) else round(100 * float(value), 1)


def _fmt1(v) -> str:
    if isinstance(v, str):          # a suppressed share (x)
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return f"{v:,}"             # the last row's number of comments (it printed 248.0)
    return "" if pd.isna(v) else f"{v:.1f}"


def theme_table(tables) -> pd.DataFrame:
    """Themes × groups: weighted % of comments mentioning each theme.

    Columns: 区分, テーマ, 全体 (%), 95%信頼区間, then one column per age band
    and district; the last row gives the number of comments (n, unweighted).
    Groups with fewer than 30 comments are marked ``*`` in their heading.
    A share the report suppresses (``hidden`` in ``tables.themes``: 1-2
    respondents mentioning the theme in a group) shows ``x``.
    """
    th = _masked(tables.themes)
    total = th[th["by"] == "全体"].reset_index(drop=True)
    # a hidden 全体 share hides its count and interval too (a wave of 2 comments printed 言及数 1
    # beside x): the count is the cell itself
    secret = total["hidden"].astype(bool) if "hidden" in total.columns else pd.Series(False, index=total.index)
    out = pd.DataFrame({
        "区分": total["theme_group"].map(_group_names(tables)),
        "テーマ": total["label"],
        f"言及数 n{UNWEIGHTED}": [HIDDEN if h else int(m) for m, h in zip(total["mentions"], secret)],
        f"全体 %{WEIGHTED}": total["estimate"].map(_pct),
        "95%信頼区間": [HIDDEN if s else ("" if pd.isna(h) else f"{100 * lo:.1f}〜{100 * h:.1f}")
                   for lo, h, s in zip(total["ci_low"], total["ci_high"], secret)],
    })
    # the last row is the groups' numbers of comments: x where 記入状況 hides a group's writers
    secret_n = comments_hidden(tables)
    base = {"全体": _n(total["n"].iloc[0], ("全体", "全体") in secret_n)} if len(total) else {}
    for (by, group), sub in th[th["by"] != "全体"].groupby(["by", "group"], sort=False):
        n = int(sub["n"].iloc[0])
        head = f"{group}{'*' if n < SMALL_BASE else ''}"
        out[head] = sub.set_index("theme")["estimate"].reindex(total["theme"]).map(_pct).to_numpy()
        base[head] = _n(n, (by, group) in secret_n)
    n_row = {c: "" for c in out.columns}
    n_row.update({"区分": "", "テーマ": f"記述数 n{UNWEIGHTED}", f"全体 %{WEIGHTED}": base.get("全体", 0)})
    for head, n in base.items():
        if head in out.columns:
            n_row[head] = n
    n_row[f"言及数 n{UNWEIGHTED}"] = ""
    table = pd.concat([out.astype(object), pd.DataFrame([n_row], dtype=object)], ignore_index=True)
    # the % columns hold percentages and, in the last row, counts (whole numbers: #,##0)
    return with_kinds(table, {c: "percent" for c in table.columns if c == f"全体 %{WEIGHTED}" or c in base})


def _n(count, hidden: bool):
    """A group's number of comments as printed: ``x`` when the small-cell rule hides it."""
    return HIDDEN if hidden else int(count)


def word_table(tables, *, top: int = 10) -> pd.DataFrame:
    """Top words per group: rows are ranks, columns groups, cells "公園 49.0%".  A group without
    a listed word (:func:`survey.measures.analyse_freetext`'s ``min_comments``) has no column."""
    words = tables.words
    cols = {}
    for (by, group), sub in words.groupby(["by", "group"], sort=False):
        cells = [f"{w} {100 * s:.1f}%" for w, s in zip(sub["word"], sub["share"])][:top]
        cols[group if by != "全体" else "全体"] = cells + [""] * (top - len(cells))
    frame = pd.DataFrame(cols)
    frame.insert(0, "順位", np.arange(1, len(frame) + 1))
    return frame


def characteristic_table(tables, *, top: int = 6, min_z: float = 0.0) -> pd.DataFrame:
    """Characteristic words of each group (z of the weighted log-odds, above ``min_z``)."""
    ch = tables.characteristic
    comments = tables.summary.set_index(["by", "group"])["comments"]
    secret_n = comments_hidden(tables)
    rows = []
    for (by, group), sub in ch.groupby(["by", "group"], sort=False):
        sub = sub[sub["z"] > min_z].head(top)
        n = int(comments.get((by, group), 0))
        listed = "、".join(f"{w}（{z:.1f}）" for w, z in zip(sub["word"], sub["z"]))
        rows.append((by, f"{group}{'*' if n < SMALL_BASE else ''}", _n(n, (by, group) in secret_n),
                     listed or _none_listed(tables)))
    return pd.DataFrame(rows, columns=["属性", "区分", f"記述数{UNWEIGHTED}", "特徴語（z値）"])


def _none_listed(tables) -> str:
    """The cell of a group none of whose words passes the small-cell rule."""
    n = int(tables.notes.get("min_comments", 1))
    return prose("sections.freetext.none_listed", min_comments=n) if n > 1 else ""


def _word_rule(tables) -> str:
    """The small-cell rule of the word tables and the network, for the notes ('' without one)."""
    n = int(tables.notes.get("min_comments", 1))
    if n <= 1:
        return ""
    return prose("sections.freetext.word_rule", min_comments=n, largest=n - 1)


def quote_table(tables) -> pd.DataFrame:
    """Representative quotes per theme (masked text)."""
    q = tables.quotes
    # the count is the theme's 言及数: x where the theme table hides it (1-2 comments)
    th = tables.themes
    hidden = set(th.loc[(th["by"] == "全体") & th["hidden"].astype(bool), "theme"]) if "hidden" in th.columns else set()
    return pd.DataFrame({"区分": q["theme_group"].map(_group_names(tables)), "テーマ": q["label"],
                         "記述例": q["quote"], f"該当する記述数{UNWEIGHTED}": [
                             HIDDEN if t in hidden else int(c) for t, c in zip(q["theme"], q["comments"])]})


def network_layout(nodes: pd.DataFrame, edges: pd.DataFrame, *, iterations: int = 300) -> np.ndarray:
    """Deterministic 2-D positions (one row per node, in ``nodes`` order).

    Fruchterman–Reingold forces (repulsion k²/d between every pair,
    attraction jaccard·d²/k along edges, plus a pull to the centre, √n·x, so
    isolated words stay near the clusters), started from a circle in node order
    and cooled linearly; positions are scaled into [-1, 1].
    """
    words = list(nodes["word"])
    n = len(words)
    if n == 0:
        return np.zeros((0, 2))
    angle = 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([np.cos(angle), np.sin(angle)])
    if n == 1:
        return pos * 0
    at = {w: i for i, w in enumerate(words)}
    A = np.zeros((n, n))
    for a, b, jac in zip(edges["word_a"], edges["word_b"], edges["jaccard"]):
        if a in at and b in at:
            A[at[a], at[b]] = A[at[b], at[a]] = float(jac)
    k = 2.0 / np.sqrt(n)
    temp = 0.2
    for it in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta ** 2).sum(axis=2))
        np.fill_diagonal(dist, 1.0)
        dist = np.maximum(dist, 1e-3)
        force = k * k / dist - A * dist * dist / k
        np.fill_diagonal(force, 0.0)
        disp = (delta / dist[:, :, None] * force[:, :, None]).sum(axis=1) - 1.0 * pos * np.sqrt(n)
        length = np.maximum(np.sqrt((disp ** 2).sum(axis=1)), 1e-9)
        step = temp * (1 - it / iterations)
        pos = pos + disp / length[:, None] * np.minimum(length, step)[:, None]
    pos = pos - pos.mean(axis=0)
    scale = np.abs(pos).max()
    return pos / scale if scale > 0 else pos


def _components(n: int, pairs) -> np.ndarray:
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = [find(i) for i in range(n)]
    order = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([order[r] for r in roots])


@background
def cooccurrence_chart(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str | None = None,
                       image_format: str = "png", width: float = 8.0, height: float = 6.0, dpi: int = 144):
    """Co-occurrence network: circles sized by the weighted share of comments,
    lines as thick as the Jaccard coefficient, one colour per connected group
    of words (grey for words without an edge)."""
    for col in ("word", "share"):
        if col not in nodes.columns:
            raise InputError(f"cooccurrence_chart: nodes need columns word and share; got {list(nodes.columns)}")
    for col in ("word_a", "word_b", "jaccard"):
        if col not in edges.columns:
            raise InputError(f"cooccurrence_chart: edges need word_a, word_b, jaccard; got {list(edges.columns)}")
    if len(nodes) == 0:
        raise InputError("cooccurrence_chart: no words to draw (nodes is empty)")
    pos = network_layout(nodes, edges)
    at = {w: i for i, w in enumerate(nodes["word"])}
    pairs = [(at[a], at[b]) for a, b in zip(edges["word_a"], edges["word_b"]) if a in at and b in at]
    comp = _components(len(nodes), pairs)
    linked = np.zeros(len(nodes), dtype=bool)
    for a, b in pairs:
        linked[a] = linked[b] = True
    share = nodes["share"].to_numpy(dtype=float)
    size = 250 + 2200 * share / max(float(np.nanmax(share)), 1e-9)

    def draw(fig):
        ax = fig.subplots()
        for (a, b), jac in zip(pairs, edges["jaccard"]):
            ax.plot(pos[[a, b], 0], pos[[a, b], 1], color="#9a9a9a", linewidth=0.5 + 3.5 * float(jac), zorder=1)
        colours = [(_COLOURS[c % (len(_COLOURS) - 1)] if linked[i] else _COLOURS[-1]) for i, c in enumerate(comp)]
        ax.scatter(pos[:, 0], pos[:, 1], s=size, c=colours, alpha=0.35, edgecolors=colours, linewidths=1.0, zorder=2)
        for i, word in enumerate(nodes["word"]):
            ax.text(pos[i, 0], pos[i, 1], str(word), ha="center", va="center", fontsize=8, zorder=3)
        ax.set_xlim(-1.2, 1.2)
        ax.set_ylim(-1.15, 1.15)
        ax.set_axis_off()
        if title:
            fig.suptitle(title, fontsize=11)

    return _draw(draw, width=width, height=height, image_format=image_format, dpi=dpi)


def _masked(th: pd.DataFrame) -> pd.DataFrame:
    """Theme shares with a hidden one as ``x`` (object column), its interval blank."""
    if "hidden" not in th.columns or not th["hidden"].any():
        return th
    th = th.copy()
    hide = th["hidden"].astype(bool).to_numpy()
    th["estimate"] = pd.Series([HIDDEN if h else v for v, h in zip(th["estimate"], hide)], index=th.index, dtype=object)
    th.loc[hide, ["ci_low", "ci_high"]] = float("nan")
    return th


def _heat(tables) -> pd.DataFrame:
    th = tables.themes
    small = th["n"].to_numpy() < SMALL_BASE
    item = [f"{g}*" if s and b != "全体" else str(g) for g, s, b in zip(th["group"], small, th["by"])]
    frame = pd.DataFrame({"group": th["label"], "item": item, "percent": th["estimate"],
                          "hidden": th["hidden"] if "hidden" in th.columns else False})
    return frame.drop_duplicates(["group", "item"])


def _heat_groups(tables) -> str:
    """The breakdowns of the heat map for its caption: 全体 and each attribute (全体・年齢別・地区別)."""
    names = [b for b in dict.fromkeys(tables.themes["by"]) if b != TOTAL_LABEL]
    return "・".join([TOTAL_LABEL] + [prose("sections.freetext.heatmap_group", name=b) for b in names])


def _heading(tables) -> str:
    """The free-text question's heading in the delivered file (e.g. 問12 自由意見)."""
    return str(tables.notes.get("heading") or tables.notes.get("column", ""))


def _methods(tables, municipality: str = "") -> list[str]:
    notes = tables.notes
    dictionary = (prose("sections.freetext.methods.userdict", municipality=municipality) if municipality
                  else prose("sections.freetext.methods.userdict_unnamed"))
    return [
        prose("sections.freetext.methods.masking", masked=notes.get("masked_answers", 0)),
        prose("sections.freetext.methods.words", dictionary=dictionary, userdict=notes.get("userdict_words", 0)),
        prose("sections.freetext.methods.shares", weighted=WEIGHTED),
        prose("sections.freetext.methods.network"),
        prose("sections.freetext.methods.themes", dictionary=notes.get("dictionary", "")),
    ] + ([_word_rule(tables)] if _word_rule(tables) else [])


def freetext_section(tables, *, municipality: str = "") -> Section:
    """The 自由記述 section of ``report.html``; ``municipality`` (the questionnaire's, e.g. 朝霞市)
    names whose place names the user dictionary holds in the methods."""
    notes = tables.notes
    total = tables.summary[tables.summary["by"] == "全体"].iloc[0]
    number, _, name = _heading(tables).partition(" ")
    question = prose("sections.freetext.question_named", number=number, name=name) if name else number
    if bool(total.get("hidden", False)):      # 1-2 writers (or non-writers) in the whole wave
        intro = prose("sections.freetext.intro_hidden", question=question, respondents=notes["respondents"])
    else:
        intro = prose("sections.freetext.intro", question=question, respondents=notes["respondents"],
                      comments=notes["comments"], share=100 * total["estimate"], low=100 * total["ci_low"],
                      high=100 * total["ci_high"])
    figures = [Figure(charts.priority_heatmap(_heat(tables), cbar_label="%", wrap=7, width=10.5),
                      prose("sections.freetext.heatmap", weighted=WEIGHTED, groups=_heat_groups(tables)))]
    if len(tables.nodes) >= 2:
        figures.append(Figure(cooccurrence_chart(tables.nodes, tables.edges), prose("sections.freetext.network")))
    theme = theme_table(tables)
    pct = {c: _fmt1 for c in theme.columns if c not in ("区分", "テーマ", "95%信頼区間", f"言及数 n{UNWEIGHTED}")}
    words, characteristic = word_table(tables), characteristic_table(tables)
    notes = _methods(tables, municipality)
    if len(words.columns) <= 1:
        # no word passes the small-cell rule in any group (a handful of comments): no empty table
        words = characteristic = None
        notes.append(prose("sections.freetext.no_words", min_comments=int(tables.notes.get("min_comments", 1))))
    shown = [Table(f"テーマ別の記述の割合（%{WEIGHTED}）", theme, formats=pct, note=prose("sections.freetext.theme_note"))]
    if words is not None:
        shown += [Table("よく使われた語（語を含む記述の割合、重み付け）", words)]
        if len(characteristic):
            shown += [Table("区分ごとの特徴語（重み付き対数オッズ比のz値）", characteristic)]
    shown += [Table("テーマ別の記述例（個人情報はマスク済み）", quote_table(tables))]
    return Section("freetext", f"自由記述（{_heading(tables)}）", intro=intro, figures=figures, tables=shown,
                   notes=notes)


def theme_long(tables) -> pd.DataFrame:
    """The figures of :func:`theme_table` in long form, one row per group and theme: the
    weighted share (rounded alike) and the group's number of comments, described for the
    open data (the groups' intervals are not printed in the report, so not published); a
    share the report suppresses is ``x`` here too."""
    th = _masked(tables.themes)
    secret_n = comments_hidden(tables)
    out = pd.DataFrame({
        "区分": th["by"].to_numpy(),
        # marked as in the theme table (fewer than 30 comments): the open data name it with a note
        "グループ": [g if b == "全体" else mark_small_base(g, n) for b, g, n in zip(th["by"], th["group"], th["n"])],
        "テーマ": [f"{_group_names(tables).get(g, g)}：{lab}" for g, lab in zip(th["theme_group"], th["label"])],
        f"割合(%){WEIGHTED}": th["estimate"].map(_pct).to_numpy(), f"記述数 n{UNWEIGHTED}": pd.Series(
            [_n(n, k in secret_n) for n, k in zip(th["n"], zip(th["by"], th["group"]))], dtype=object).to_numpy()})
    return describe(out, base=prose("sections.freetext.base"), dims={"区分": "区分", "グループ": "グループ", "テーマ": "項目"}, values={
        f"割合(%){WEIGHTED}": Measure(f"テーマに触れた記述の割合{WEIGHTED}", "%"),
        f"記述数 n{UNWEIGHTED}": Measure(f"記述数{UNWEIGHTED}", "人", item="")})




def comment_status(tables) -> pd.DataFrame:
    """記入状況 (the sheet's first table): by, group, respondents, comments and the weighted
    comment rate with its interval; a group whose writers the small-cell rule hides
    (:mod:`survey.report.freetext_cells`) shows ``x`` for its comments, rate and interval; a group
    of fewer than 30 respondents is marked ``*`` (内間木*)."""
    s = tables.summary
    hide = s["hidden"].astype(bool).to_numpy() if "hidden" in s.columns else [False] * len(s)
    out = s[["by", "group", "respondents"]].copy()
    out["group"] = [mark_small_base(g, n) for g, n in zip(s["group"], s["respondents"])]
    out["comments"] = pd.Series([_n(c, h) for c, h in zip(s["comments"], hide)], index=s.index)
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = pd.Series([HIDDEN if h else _pct(v) for v, h in zip(s[col], hide)], index=s.index)
    return out


def freetext_sheet(tables, *, municipality: str = "") -> Sheet:
    """The 自由記述 sheet of the workbook (same tables, numbers kept numeric); the
    comment rate is open data, the words and quotes never are (they are respondents' text).
    ``municipality`` as in :func:`freetext_section`."""
    summary = comment_status(tables)
    summary.columns = ["属性", "区分", f"回答者数{UNWEIGHTED}", f"記述者数{UNWEIGHTED}", f"記入率 %{WEIGHTED}",
                       "95%CI 下限", "95%CI 上限"]
    summary = with_kinds(summary, {c: "percent" for c in summary.columns[4:]})
    masked = tables.masked[["label", "answers"]].rename(columns={"label": "個人情報の種類", "answers": "マスクした回答数"})
    describe(summary, base="全回答者", dims={"属性": "区分", "区分": "グループ"}, fixed={"項目": "自由記述"}, values={
        f"回答者数{UNWEIGHTED}": Measure(f"回答者数{UNWEIGHTED}", "人"),
        f"記述者数{UNWEIGHTED}": Measure(f"記述者数{UNWEIGHTED}", "人"),
        f"記入率 %{WEIGHTED}": Measure(f"記入率{WEIGHTED}", "%"), "95%CI 下限": Measure("95%信頼区間下限", "%"),
        "95%CI 上限": Measure("95%信頼区間上限", "%")})
    closed = dict(base=prose("sections.freetext.base"), opendata=False)
    small = [small_base_sheet_note(["記入状況"])] if has_small_base(summary["区分"]) else []
    return Sheet("自由記述", [
        ("記入状況", summary),
        (f"テーマ別の記述の割合（%{WEIGHTED}、最終行は記述数）", describe(theme_table(tables), **closed)),
        ("よく使われた語（語を含む記述の割合）", describe(word_table(tables), **closed)),
        ("区分ごとの特徴語（z値）", describe(characteristic_table(tables), **closed)),
        ("テーマ別の記述例（個人情報はマスク済み）", describe(quote_table(tables), **closed)),
        ("個人情報のマスク", describe(masked, base=prose("sections.freetext.base_masked"), opendata=False)),
    ], title=f"自由記述（{_heading(tables)}）", notes=_methods(tables, municipality) + small)
