"""Tidy analysis tables → presentation tables (Japanese headings, rounded).

One function per planner table; each returns a DataFrame whose numbers are
rounded once, here (percentages to one decimal on a 0–100 scale, yen to
whole yen, indices to two decimals), and whose headings say whether a
figure is weighted or unweighted.  Used by both the workbook and the HTML.

Each table declares the kind of figure of its columns where the values alone
do not tell (percentages, yen, p-values; :func:`survey.report.format.with_kinds`),
so the workbook holds numbers with number formats and the CSV and HTML show
``<0.001`` for a small p-value.  Questions are named by their heading in the
questionnaire (:func:`question_title`), never by their id.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey.measures.differences import degenerate_se
from survey.measures.reliability import ALPHA_UNDEFINED
from survey.report.format import UNWEIGHTED, WEIGHTED, p_values, with_kinds

__all__ = [
    "satisfaction_index_table", "satisfaction_distribution_table", "comparison_table", "indicator_table_ja",
    "park_table", "allocation_table", "zero_share_table", "segment_table", "priority_table",
    "predicted_table", "ranking_test_table", "pct", "ci_text", "drivers_table", "reliability_table",
    "trend_table_ja", "diagnostics_table", "question_title", "attribute_title",
]


def question_title(questionnaire, column: str) -> str:
    """The heading a planner reads for a question id or a tidy column.

    A question is its ``header`` (``問6 みどりの満足度``); an item of a
    matrix is the question's header and the item's label
    (``問8 みどりのチカラの重要度：雨水の浸透・貯留``); a ranking, which the
    frequency tables show by its first choice, says so (``…（1位）``).
    """
    if column in questionnaire:
        q = questionnaire[column]
        return f"{q.header}（1位）" if q.type == "ranking" else q.header
    q = questionnaire.question_of(column)
    item = next(it for it in q.items if it.column == column)
    return f"{q.header}：{item.label}"


def attribute_title(questionnaire, column: str) -> str:
    """An attribute's heading without its question number (``問2 年齢`` → ``年齢``)."""
    return questionnaire[column].header.split(" ", 1)[-1]


def pct(x):
    """0–1 share → percentage with one decimal (NaN stays NaN)."""
    return np.round(100 * np.asarray(x, dtype=float), 1)


def _r(x, digits):
    return np.round(np.asarray(x, dtype=float), digits)


def _signed(value: float, digits: int) -> str:
    """A number for running text: negatives with the minus sign U+2212, so a
    range such as −0.03〜0.06 never starts like a spreadsheet formula."""
    text = f"{value:.{digits}f}"
    return "\u2212" + text[1:] if text.startswith("-") else text


def ci_text(low, high, *, digits=2, scale=1.0) -> list[str]:
    return [("" if np.isnan(a) or np.isnan(b) else f"{_signed(a * scale, digits)}〜{_signed(b * scale, digits)}")
            for a, b in zip(np.asarray(low, dtype=float), np.asarray(high, dtype=float))]


def satisfaction_index_table(t: pd.DataFrame, *, baseline=None, target=None) -> pd.DataFrame:
    out = pd.DataFrame({
        "区分": t["by"], "グループ": t["group"],
        f"満足度指数{WEIGHTED}": _r(t["estimate"], 3), "標準誤差": _r(t["se"], 3),
        "95%信頼区間": ci_text(t["ci_low"], t["ci_high"], digits=3),
        "デザイン効果": _r(t["deff"], 2), f"回答者数 n{UNWEIGHTED}": t["n"].astype(int),
    })
    if target is not None:   # a group without sampling variance (SE 0) is not judged
        flat = degenerate_se(t["se"], t["estimate"])
        out["目標値との比較"] = ["判定できない（標準誤差0）" if f else "目標値以上" if lo >= target else
                          ("目標値未満" if hi < target else "目標値と区別できない")
                          for lo, hi, f in zip(t["ci_low"], t["ci_high"], flat)]
    return out


def satisfaction_distribution_table(d: pd.DataFrame) -> pd.DataFrame:
    """区分 × グループ rows, answer levels as columns (weighted %), base n."""
    d = d.copy()
    d["pct"] = pct(d["estimate"])
    wide = d.pivot_table(index=["by", "group"], columns="level", values="pct", sort=False)
    levels = list(dict.fromkeys(d["level"]))
    wide = wide[levels].reset_index()
    base = d.groupby(["by", "group"], sort=False)["n"].max().reset_index(drop=True)
    wide.insert(2, f"基数 n{UNWEIGHTED}", base.astype(int).to_numpy())
    wide.columns.name = None
    return with_kinds(wide.rename(columns={"by": "区分", "group": "グループ"}), {lev: "percent" for lev in levels})


def comparison_table(c: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "区分": c["by"], "比較": [f"{a} − {b}" for a, b in zip(c["group"], c["reference"])],
        "差": _r(c["estimate"], 3), "標準誤差": _r(c["se"], 3),
        "p値（調整後）": p_values(c["p_adjusted"]), "判定": c["verdict_ja"],
    })


def indicator_table_ja(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "指標": t["label"], "単位": t["unit"], "出典": t["source"].map({"survey": "市民アンケート", "admin": "行政資料"}),
        "現況値": t["baseline"], "現況年度": t["baseline_year"], "目標値": t["target"], "目標年度": t["target_year"],
        "今回値": _r(t["estimate"], 3), "95%信頼区間": ci_text(t["ci_low"], t["ci_high"], digits=3),
        "現況値からの変化": _r(t["change"], 3), "変化の判定": t["change_verdict_ja"], "目標の判定": t["verdict_ja"],
    })


def park_table(p: pd.DataFrame) -> pd.DataFrame:
    return with_kinds(pd.DataFrame({
        "地区": p["label"], f"年間利用回数{WEIGHTED}": _r(p["times"], 1),
        "95%信頼区間": ci_text(p["times_ci_low"], p["times_ci_high"], digits=1),
        f"利用しない人の割合(%){WEIGHTED}": pct(p["never"]),
        "同 95%信頼区間": ci_text(p["never_ci_low"], p["never_ci_high"], digits=1, scale=100),
        f"回答者数 n{UNWEIGHTED}": p["n"].astype(int), "市全体との比較": p["verdict_ja"].fillna(""),
    }), {f"年間利用回数{WEIGHTED}": "decimal1", f"利用しない人の割合(%){WEIGHTED}": "percent"})


def allocation_table(a: pd.DataFrame, *, total: int = 1000) -> pd.DataFrame:
    """Mean amount per function (rows) by group (columns), rounded to a
    thousandth of the ``total`` (yen of ¥1,000; a tenth of a point of 100)."""
    a = a.copy()
    a["col"] = [g if b == "全体" else f"{b}:{g}" for b, g in zip(a["by"], a["group"])]
    wide = a.pivot_table(index="part", columns="col", values="estimate", sort=False)
    digits = max(0, 3 - len(str(int(total))) + 1)   # 1000 -> 0 decimals, 100 -> 1, 10 -> 2
    wide = wide[list(dict.fromkeys(a["col"]))].round(digits)
    wide.index.name = f"みどりのチカラ（平均配分額・円）{WEIGHTED}"
    out = wide.reset_index()
    out.columns.name = None
    kind = "yen" if digits == 0 else f"decimal{digits}"  # a 100-point allocation is points, not yen
    return with_kinds(out, {c: kind for c in out.columns[1:]})


def zero_share_table(z: pd.DataFrame) -> pd.DataFrame:
    z = z[z["by"] == "全体"]
    return with_kinds(pd.DataFrame({
        "みどりのチカラ": z["part"], f"0円の人の割合(%){WEIGHTED}": pct(z["estimate"]),
        "95%信頼区間": ci_text(z["ci_low"], z["ci_high"], digits=1, scale=100), f"回答者数 n{UNWEIGHTED}": z["n"],
    }), {f"0円の人の割合(%){WEIGHTED}": "percent"})


def segment_table(s: pd.DataFrame) -> pd.DataFrame:
    return with_kinds(pd.DataFrame({
        "グループ": [f"グループ{k}" for k in s["segment"]], f"構成比(%){WEIGHTED}": pct(s["estimate"]),
        "95%信頼区間": ci_text(s["ci_low"], s["ci_high"], digits=1, scale=100),
        f"人数 n{UNWEIGHTED}": s["n"], "特に多く配分した働き": s["top_parts"],
    }), {f"構成比(%){WEIGHTED}": "percent"})


def priority_table(p: pd.DataFrame) -> pd.DataFrame:
    return with_kinds(pd.DataFrame({
        "区分": p["by"], "グループ": p["group"], "施策": p["item"],
        f"1位に選んだ割合(%){WEIGHTED}": pct(p["first_share"]),
        f"3位までに選んだ割合(%){WEIGHTED}": pct(p["topk_share"]),
        "同 95%信頼区間": ci_text(p["topk_share_ci_low"], p["topk_share_ci_high"], digits=1, scale=100),
        "得点（1位3点・2位2点・3位1点）": _r(p["borda"], 2),
    }), {f"1位に選んだ割合(%){WEIGHTED}": "percent", f"3位までに選んだ割合(%){WEIGHTED}": "percent",
         "得点（1位3点・2位2点・3位1点）": "decimal2"})


def predicted_table(p: pd.DataFrame) -> pd.DataFrame:
    """Model-predicted top-3 inclusion (%) per age × district cell, items as columns."""
    p = p.copy()
    p["pct"] = pct(p["topk_prob"])
    wide = p.pivot_table(index=["age_band", "district"], columns="item", values="pct", sort=False)
    items = list(dict.fromkeys(p["item"]))
    wide = wide[items].reset_index()
    wide.columns.name = None
    return with_kinds(wide.rename(columns={"age_band": "年齢", "district": "地区"}), {c: "percent" for c in items})


def ranking_test_table(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"要因": t["term"], "検定統計量（F）": _r(t["statistic"], 3),
                         "自由度": [f"{int(a)}, {b:.0f}" for a, b in zip(t["ndf"], t["ddf"])],
                         "p値": p_values(t["p"]), "判定": t["verdict_ja"]})


def drivers_table(d: pd.DataFrame) -> pd.DataFrame:
    """Odds ratios of a more satisfied answer (design-based ordinal logit)."""
    return pd.DataFrame({
        "要因": d["variable"].map({"age_band": "年齢", "district": "地区", "sex": "性別", "park_use": "公園の利用頻度"})
                .fillna(d["variable"]),
        "区分": d["level_label"], "オッズ比": _r(d["odds_ratio"], 2),
        "95%信頼区間": ci_text(d["ci_low"], d["ci_high"], digits=2), "p値": p_values(d["p"]),
    })


def reliability_table(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "指標": r["statistic"].map({"alpha": "クロンバックのα（重みなし）", "weighted_alpha": f"クロンバックのα{WEIGHTED}"}),
        "推定値": _r(r["estimate"], 3), "95%信頼区間": ci_text(r["ci_low"], r["ci_high"], digits=3),
        "回答者数 n": r["n"], "項目数": r["k"],
        "備考": [ALPHA_UNDEFINED[c]["ja"] if c else "" for c in r.get("reason", pd.Series([""] * len(r)))],
    })


def trend_table_ja(t: pd.DataFrame) -> pd.DataFrame:
    """Satisfaction index: baseline wave, this wave, change and its test."""
    est = [c for c in t.columns if c.startswith("estimate_")]
    se = [c for c in t.columns if c.startswith("se_")]
    return pd.DataFrame({
        "区分": t["by"], "グループ": t["group"],
        f"基準年{WEIGHTED}": _r(t[est[0]], 3), "標準誤差（基準年）": _r(t[se[0]], 3),
        f"今回{WEIGHTED}": _r(t[est[1]], 3), "標準誤差（今回）": _r(t[se[1]], 3),
        "変化": _r(t["change"], 3), "95%信頼区間": ci_text(t["change_ci_low"], t["change_ci_high"], digits=3),
        "p値": p_values(t["p"]), "判定": t["verdict_ja"],
    })


def diagnostics_table(diag) -> pd.DataFrame:
    """Weighting diagnostics (``Design.diagnostics()``) in Japanese."""
    names = [("n", "回答者数"), ("sum", "重みの合計（母集団）"), ("kish_deff", "デザイン効果（Kish）"),
             ("n_effective", "有効標本サイズ"), ("cv", "重みの変動係数"), ("min", "重みの最小値"),
             ("q05", "重みの5%点"), ("median", "重みの中央値"), ("q95", "重みの95%点"), ("max", "重みの最大値"),
             ("max_min_ratio", "最大/最小"), ("iterations", "レイキングの反復回数"),
             ("max_margin_error", "周辺度数の最大誤差")]
    rows = []
    for key, label in names:
        if key in diag.index:
            v = float(diag[key])
            rows.append((label, float(f"{v:.3g}") if key == "max_margin_error" else
                         (int(round(v)) if key in ("n", "sum", "iterations", "n_effective") else round(v, 3))))
    return pd.DataFrame(rows, columns=["項目", "値"], dtype=object)
