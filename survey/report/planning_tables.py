"""The planner's tables of a mailing plan, with Japanese headings (sheet 計画).

:func:`plan_tables` returns ``[(caption, DataFrame), ...]`` in the order
the workbook sheet and the CSV files show them; numbers are rounded for
reading (counts whole, rates in %, half-widths to 3 decimals) and stay
numbers (the overview's 内容 column holds numbers beside text), so the
workbook shows them as number cells.
"""
from __future__ import annotations

import re
import numpy as np
import pandas as pd

from survey.errors import DesignError
from survey.labels import CITY_LABEL
from survey.report.prose import prose

__all__ = ["plan_table_names", "plan_tables"]

_METHOD_JA = {"neyman": "ネイマン配分（最適配分）", "proportional": "比例配分（母集団比）",
              "proportional_respondents": "回収数比例配分（回収見込みで補正）"}
_KIND_JA = {"half_width": "信頼区間の半幅", "change": "検出できる変化"}


def plan_table_names(plan) -> tuple[str, ...]:
    """File stems (CSV) of the tables, in the order of :func:`plan_tables`:
    ``計画_概要, 計画_<group>別, 計画_配布数, ...`` (``<group>``: the planning
    group's name, e.g. 地区)."""
    return ("計画_概要", f"計画_{_name(plan.inputs, plan.keys[0])}別", "計画_配布数", "計画_目標", "計画_見込み精度",
            "計画_標本誤差", "計画_方法比較")


def _name(inputs, key) -> str:
    """A cell key's display name (e.g. 地区; the key itself when unknown); :data:`CITY_LABEL`
    (市全体) for the city."""
    return CITY_LABEL if key == "city" else getattr(inputs, "names", {}).get(key, key)


def _key_label(inputs, key, code) -> str:
    return inputs.labels.get(key, {}).get(int(code), str(code))


def _domain_label(inputs, domain, level) -> str:
    """A planning row's domain by name: the planning frames carry the codes (``domain``
    ``"city"``, or a cell key and ``level`` its code), the report names them here."""
    return CITY_LABEL if domain == "city" else _key_label(inputs, domain, level)


#: The planning API's notes (English, naming cell keys) and the catalogue's sentence for each
#: (``planning.notes.*`` of templates/prose_ja.yaml), the groups of the pattern as its fields in
#: order (issue 16 item 11: attributes by their name, never their id).  A note no pattern
#: matches is shown as is.
_NOTES_JA = (
    (r"(\d+) respondent\(s\) with unknown (\w+)/(\w+) spread over the cells \(returned counts x ([\d.]+)\)",
     "unknown_cells", ("respondents", "first", "second", "factor")),
    (r"mailing per cell not recorded: expected counts of a simple random sample of ([\d.,]+) "
     r"\(fielding\.mailed x population share\) were used", "expected_mailing", ("mailed",)),
    (r"(\d+) population cell\(s\) absent from the mailing counts were taken as 0 mailed", "absent_cells", ("cells",)),
    (r"the cheapest plan meeting the targets uses ([\d,.]+) of ([\d,.]+)", "cheapest", ("used", "available")),
    (r"the targets need ([\d,.]+) but only ([\d,.]+) is available; the plan below is the best the budget allows",
     "over_budget", ("needed", "available")),
    (r"([\d,.]+) exceeds mailing every adult of the cells \(([\d,.]+)\); capped", "capped", ("requested", "everyone")),
    (r"the group floors do not fit in the budget; they were scaled down alike", "floors_scaled", ()),
)


#: The notes of targets no mailing can meet (``planning.unreachable.*``), with the indicator,
#: attribute and level by name.
_TARGET_NOTES_JA = (
    (r"(\S+) (\S+) (-?\d+): even mailing every adult of the group misses ±(\S+)",
     lambda i, m, d, lv, hw: prose("planning.unreachable.half_width", where=_where(i, m, d, lv), half_width=hw)),
    (r"(\S+) (\S+) (-?\d+): this wave's SE (\S+) alone exceeds what a change of (\S+) allows; no next wave can "
     r"reach it \(use against='plan' or a larger change\)",
     lambda i, m, d, lv, se, c: prose("planning.unreachable.change", where=_where(i, m, d, lv), se=se, change=c)),
    (r"(\w+) (-?\d+): fewer than (\S+) respondents expected even mailing every adult",
     lambda i, d, lv, n: prose("planning.unreachable.respondents", where=_where(i, None, d, lv), respondents=n)),
    (r"the targets for the city / age bands cannot be met even mailing every adult",
     lambda i: prose("planning.unreachable.city", city=CITY_LABEL)),
)


def _where(inputs, measure, domain, level) -> str:
    """``みどりの満足度（指数） 地区 内間木``: the indicator, attribute and level of a target by name."""
    labels = getattr(inputs, "labels", {}) or {}
    what = str(labels.get(measure, measure)) if measure else ""
    if domain == "city":
        return f"{what} {CITY_LABEL}".strip()
    level_label = labels.get(domain, {}).get(int(level), str(level)) if isinstance(labels.get(domain), dict) else level
    return f"{what} {_name(inputs, domain)} {level_label}".strip()


def note_ja(inputs, note: str) -> str:
    """A planning note in Japanese, cell keys by their names (``district`` → 地区)."""
    for pattern, text in _TARGET_NOTES_JA:
        m = re.fullmatch(pattern, note)
        if m:
            return text(inputs, *m.groups())
    for pattern, key, fields in _NOTES_JA:
        m = re.fullmatch(pattern, note)
        if m:
            names = [_name(inputs, g) if re.fullmatch(r"[A-Za-z_]\w*", g) else g for g in m.groups()]
            return prose(f"planning.notes.{key}", **dict(zip(fields, names)))
    return note


def _overview(plan) -> pd.DataFrame:
    t = plan.totals
    where = {"city": CITY_LABEL, **{k: f"各{_name(plan.inputs, k)}" for k in plan.keys}}
    targets = "; ".join(
        f"{plan.inputs.labels.get(row.measure, row.measure)} {where.get(row.domain, row.domain)} "
        f"{_KIND_JA[row.kind]} {'±' if row.kind == 'half_width' else ''}{row.target:g}"
        for row in plan.targets.drop_duplicates(["measure", "kind", "domain", "target"]).itertuples())
    rows = [
        ("配分方法", _METHOD_JA.get(plan.method, plan.method)),
        ("配分の基準とした指標", plan.inputs.labels.get(plan.measure, plan.measure)),
        ("目標", targets or "なし（予算・配布数の範囲で配分）"),
        ("配布数（合計）", int(t["mailings"])),
        ("見込回収数", int(round(t["respondents"]))),
        ("見込回収率(%)", round(100 * t["respondents"] / t["mailings"], 1) if t["mailings"] else None),
        ("費用", int(round(t["cost"]))),
        ("目標を満たす最小の費用", None if np.isnan(t["required_cost"]) else int(round(t["required_cost"]))),
        ("目標の達成", "達成" if plan.feasible else "未達（注記参照）"),
        ("重みによるデザイン効果（今回の調査、層内 Kish）", round(float(plan.inputs.deff[plan.measure]), 3)),
        ("配布数の出典", {"file": "配布数ファイル（セル別）"}.get(plan.inputs.mailing_source,
                                                           "調査票の配布数 × 母集団構成比（セル別の記録なし）")),
    ]
    rows.extend(("注記", note_ja(plan.inputs, note)) for note in plan.notes)
    return pd.DataFrame(rows, columns=["項目", "内容"], dtype=object)


def _by_group(plan) -> pd.DataFrame:
    g = plan.by_group()
    group = plan.keys[0]
    wave = plan.inputs.wave
    wave = wave[(wave["measure"] == plan.measure)]
    z = 1.959963984540054
    out = pd.DataFrame({
        _name(plan.inputs, group): [_domain_label(plan.inputs, "city" if k == "city" else group, k) for k in g.index],
        "母集団": g["population"].round().astype(np.int64).to_numpy(),
        "配布数": g["mailed"].round().astype(np.int64).to_numpy(),
        "見込回収数": g["expected_respondents"].round().astype(np.int64).to_numpy(),
        "見込回収率(%)": (100 * g["response_rate"]).round(1).to_numpy(),
        "見込み半幅(±)": g["half_width"].round(3).to_numpy(),
    })
    now = [wave[(wave["domain"] == ("city" if k == "city" else group)) & (wave["level"] == (0 if k == "city" else k))]
           ["se"] for k in g.index]
    out["今回の半幅(±)"] = [round(z * float(s.iloc[0]), 3) if len(s) else np.nan for s in now]
    return out


def _cells(plan) -> pd.DataFrame:
    a = plan.allocation
    group, other = plan.keys
    return pd.DataFrame({
        _name(plan.inputs, group): [_key_label(plan.inputs, group, c) for c in a[group]],
        _name(plan.inputs, other): [_key_label(plan.inputs, other, c) for c in a[other]],
        "母集団": a["population"].round().astype(np.int64),
        "回収率(%)（今回から推定）": (100 * a["response_rate"]).round(1),
        "配布数": a["mailed"],
        "見込回収数": a["expected_respondents"].round(1),
        "抽出率(%)": (100 * a["sampling_fraction"]).round(2),
        "基本ウエイト": a["base_weight"].round(2),
    })


def _targets(plan) -> pd.DataFrame:
    t = plan.targets
    return pd.DataFrame({
        "指標": [plan.inputs.labels.get(m, m) for m in t["measure"]],
        "種類": [_KIND_JA[k] for k in t["kind"]],
        "区分": [_domain_label(plan.inputs, d, lv) for d, lv in zip(t["domain"], t["level"])],
        "目標": t["target"],
        "必要な標準誤差": t["required_se"].round(4),
        "見込みの標準誤差": t["expected_se"].round(4),
        "見込み": t["expected"].round(3),
        "達成": np.where(t["met"], "○", "×"),
    })


def _precision(plan) -> pd.DataFrame:
    p = plan.precision
    return pd.DataFrame({
        "指標": [plan.inputs.labels.get(m, m) for m in p["measure"]],
        "区分": [_name(plan.inputs, d) for d in p["domain"]],
        "対象": [_domain_label(plan.inputs, d, lv) for d, lv in zip(p["domain"], p["level"])],
        "配布数": p["mailed"].round().astype(np.int64),
        "見込回答数": p["answers"].round().astype(np.int64),
        "標準誤差": p["se"].round(4),
        "半幅(±)": p["half_width"].round(3),
        "デザイン効果": p["deff"].round(2),
        "検出できる変化(検出力80%)": p["mdc"].round(3),
        "今回の半幅(±)": p["wave_half_width"].round(3),
    })


def _sampling_error(plan) -> pd.DataFrame:
    t = plan.sampling_error()
    t["label"] = [_domain_label(plan.inputs, d, lv) for d, lv in zip(t["domain"], t["level"])]
    out = t.drop(columns=["domain", "level"]).rename(columns={"label": "区分", "n": "基数 n（見込み）",
                                                              "deff": "デザイン効果"})
    out["基数 n（見込み）"] = out["基数 n（見込み）"].round().astype(np.int64)
    return out.round(2)


def plan_tables(plan, *, comparison: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Captions and tables of the 計画 sheet (file stems: :func:`plan_table_names`).

    ``comparison`` is :func:`~survey.planning.mailing.compare_plans` output;
    without it the method-comparison table is left out.
    """
    if not hasattr(plan, "allocation") or plan.inputs is None:
        raise DesignError(f"plan must be a MailingPlan from plan_mailing(); got {type(plan).__name__}")
    group, other = (_name(plan.inputs, k) for k in plan.keys)
    out = [
        ("計画の概要", _overview(plan)),
        (f"{group}別の配布数・見込回収数・見込み精度", _by_group(plan)),
        (f"セル別の配布数（{group} × {other}）", _cells(plan)),
        ("目標と見込み", _targets(plan)),
        ("見出しの数値の見込み精度（95%信頼区間の半幅）", _precision(plan)),
        ("標本誤差（計画、95%信頼区間の半幅 ±ポイント）", _sampling_error(plan)),
    ]
    if comparison is not None:
        c = comparison.copy()
        c["method"] = [_METHOD_JA.get(m, m) for m in c["method"]]
        c = c.rename(columns={"method": "配分方法", "mailings": "配布数", "respondents": "見込回収数",
                              "cost": "費用", "city_half_width": f"{CITY_LABEL}の半幅(±)",
                              "max_group_half_width": f"{group}の半幅(±) 最大",
                              "min_group_half_width": f"{group}の半幅(±) 最小",
                              "feasible": "目標達成"})
        c["見込回収数"] = c["見込回収数"].round().astype(np.int64)
        c["目標達成"] = np.where(c["目標達成"], "○", "×")
        out.append(("配分方法の比較", c.round(3)))
    return out
