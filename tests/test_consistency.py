"""The report agrees with itself and with the Python API (issue 16 item 8).

For the bundled wave (one shared `survey run`, tests/conftest.py), every number that report.html,
集計表.xlsx and the CSVs print twice is compared between the outputs, and every number that comes
from a public estimator is recomputed through the API (or by hand with numpy, for the weighted
shares of the cross table) and compared at the printed precision: the same figure, the same
rounding.  The outputs are parsed as files (tests/report_outputs.py), never rebuilt with the code
that wrote them.  Percent rows add up to 100 within rounding.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import survey
import survey.report
from survey.report.verdicts import verdict_text
from report_outputs import bare, csv_with, find_block, number, numbers_in, read_csvs, read_page, sheet_rows

HIDDEN = "x"


@pytest.fixture(scope="module")
def out(bundled_run):
    d = bundled_run.out_dir
    return {"page": read_page(d / "report.html"), "csvs": read_csvs(d), "sheets": sheet_rows(d / "集計表.xlsx"),
            "deep": read_csvs(d, "*/**/*.csv")}


def decimals(text: str) -> int:
    m = re.search(r"\.(\d+)", str(text))
    return len(m.group(1)) if m else 0


def printed(text, value, *, scale=1.0) -> bool:
    """Is ``text`` the number ``value`` (× scale) printed at its own precision?  Half a unit of the
    last printed digit, plus float noise (both sides round the same value once)."""
    shown = number(text)
    if shown is None or value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return abs(shown - scale * float(value)) <= 0.5 * 10 ** -decimals(text) + 1e-9


def same(a, b) -> bool:
    """Two printed cells show the same thing: equal numbers (thousands separators, U+2212 minus,
    trailing zeros aside), else equal text (intervals compared number by number)."""
    a = "" if a is None else a
    b = "" if b is None else b
    na, nb = number(a), number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return False
    if "〜" in str(a) and "〜" in str(b):
        return numbers_in(a) == numbers_in(b)
    return str(a) == str(b)


# --------------------------------------------------------------- outputs against each other
def test_every_table_of_the_page_is_its_csv(out):
    page, csvs = out["page"], out["csvs"]
    checked = 0
    for t in page.tables:
        exact = [(h, r) for h, r in csvs.values() if h == t.header]
        if exact:
            (header, rows), = exact
            assert len(rows) == len(t.rows), t.caption
            for row, csv_row in zip(t.rows, rows):
                for name, a, b in zip(header, row, csv_row):
                    assert same(a, b), (t.caption, name, a, b)
                    checked += 1
            continue
        # the indicator table is one CSV and two page tables (the same figures, per row)
        name, header, rows = csv_with(csvs, *t.header)
        by_key = {r[0]: dict(zip(header, r)) for r in rows}
        for row in t.records():
            for col, a in row.items():
                assert same(a, by_key[row[t.header[0]]][col]), (t.caption, col, a)
                checked += 1
    assert checked > 2000


def test_every_csv_is_its_block_of_the_workbook(out):
    csvs, sheets = out["csvs"], out["sheets"]
    checked = 0
    for name, (header, rows) in csvs.items():
        if name in ("クロス集計.csv", "修正セル.csv", "除外行.csv", "目次.csv"):
            continue                 # the cross table has its own layout (next test); the ledger rows and the
                                     # index of the files are CSV only (tests/test_opendata.py)
        blocks = []
        for sheet in sheets.values():
            try:
                blocks.append(find_block(sheet, header))
            except AssertionError:
                continue
        assert blocks, name
        body = next((b for b in blocks if len(b) == len(rows)), blocks[0])
        assert len(body) == len(rows), name
        for wb_row, csv_row in zip(body, rows):
            for col, wb, text in zip(header, wb_row, csv_row):
                if isinstance(wb, (int, float)) and text.startswith("<"):
                    assert wb < number(text[1:]), (name, col, wb, text)  # a p-value: <0.001, never 0
                elif isinstance(wb, (int, float)) and number(text) is not None:
                    assert printed(text, wb), (name, col, wb, text)     # a number stays a number
                else:
                    assert same("" if wb is None else str(wb), text), (name, col, wb, text)
                checked += 1
    assert checked > 1400     # 15 columns × 3 attributes × their groups and answers, less the hidden cells


def _cross_blocks(rows):
    """The クロス集計 sheet: ``{(question, by): {(group, level): (n, %)}}`` from its two-line blocks."""
    out, i = {}, 0
    while i < len(rows):
        head = rows[i]
        if head and head[0] == "表側" and i > 0:
            caption = rows[i - 1][0]
            question, by = caption.rsplit(" × ", 1)
            levels = [v for v in head[3:] if v is not None]
            cells, j = {}, i + 1
            while j + 1 < len(rows) and rows[j] and rows[j][1] == "n":
                group = re.sub(r"\*$", "", rows[j][0])
                for k, lev in enumerate(levels):
                    cells[(group, lev)] = (rows[j][3 + k], rows[j + 1][3 + k], rows[j][2])
                j += 2
            out[(question, by)] = cells
            i = j
        else:
            i += 1
    return out


def test_the_cross_table_csv_is_the_workbook_sheet(out):
    name, header, rows = csv_with(out["csvs"], "設問", "表側", "区分", "選択肢")
    blocks = _cross_blocks(out["sheets"]["クロス集計"])
    assert len(rows) == sum(len(b) for b in blocks.values())
    for r in rows:
        rec = dict(zip(header, r))
        n, pct, base = blocks[(rec["設問"], rec["表側"])][(rec["区分"], rec["選択肢"])]
        assert same(str(n), rec["回答者数 n（重みなし）"]) or (n == 0 and rec["回答者数 n（重みなし）"] == "0")
        if pct is None:
            assert rec["%（重み付け）"] == ""
        elif pct == HIDDEN:
            assert rec["%（重み付け）"] == HIDDEN
        else:
            assert printed(rec["%（重み付け）"], pct)
        assert base == int(rec["基数 n（重みなし）"])


def test_the_headline_is_the_indicator_table(out):
    page, csvs = out["page"], out["csvs"]
    name, header, rows = csv_with(csvs, "指標", "今回値", "95%信頼区間")
    table = {r[0]: dict(zip(header, r)) for r in rows}
    assert [c.label for c in page.headline] == list(table)
    for card in page.headline:
        row = table[card.label]
        assert same(card.value, row["今回値"]) and card.value == f"{number(row['今回値']):.{decimals(card.value)}f}"
        assert decimals(card.value) == decimals(row["今回値"]) or number(row["今回値"]) == number(card.value)
        assert numbers_in(card.ci) == numbers_in(row["95%信頼区間"])
        assert card.note == row["目標の判定"]
    # the same figures in their own tables: the index's 全体 row, park use's 市全体 row
    index = csv_with(csvs, "区分", "グループ", "満足度指数（重み付け）")
    total = dict(zip(index[1], index[2][0]))
    card = page.headline[0]
    assert card.value == total["満足度指数（重み付け）"] and numbers_in(card.ci) == numbers_in(total["95%信頼区間"])
    assert card.facts["回答者数"] == f"{int(total['回答者数 n（重みなし）']):,}"
    park = csv_with(csvs, "地区", "年間利用回数（重み付け）")
    city = dict(zip(park[1], park[2][-1]))
    assert page.headline[1].value == city["年間利用回数（重み付け）"]
    assert page.headline[1].facts["回答者数"] == f"{int(city['回答者数 n（重みなし）']):,}"


def test_subfolder_tables_repeat_the_report_figures(out):
    # open data or other copies of a table (if the run writes them): the same figures
    for name, (header, rows) in out["deep"].items():
        twins = [(h, r) for h, r in out["csvs"].values() if h == header]
        for h, r in twins:
            assert len(r) == len(rows) and all(same(a, b) for x, y in zip(r, rows) for a, b in zip(x, y)), name


# --------------------------------------------------------------- outputs against the API
def _labels(q, column):
    return {float(k): v for k, v in q[column].codes.items()}


def _by_rows(frame, q, by, name_of):
    """An API frame's rows keyed as the report shows them: (区分, グループ)."""
    if by is None:
        return {("全体", "全体"): row for _, row in frame.iterrows()}
    labels = _labels(q, by)
    return {(name_of(by), labels[float(k[0] if isinstance(k, tuple) else k)]): row for k, row in frame.iterrows()}


def _name(q):
    return lambda by: q[by].header.split(" ", 1)[-1]


def test_the_index_table_is_satisfaction_index(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "区分", "グループ", "満足度指数（重み付け）")
    api = {}
    for by in (None, "age_band", "district", "sex"):
        frame = survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by).to_frame()
        api.update(_by_rows(frame.droplevel("variable") if by else frame, q, by, _name(q)))
    assert len(rows) == len(api)
    for r in rows:
        rec = dict(zip(header, bare(r)))
        e = api[(rec["区分"], rec["グループ"])]
        assert printed(rec["満足度指数（重み付け）"], e["estimate"]) and printed(rec["標準誤差"], e["se"])
        assert all(printed(t, v) for t, v in zip(numbers_in(rec["95%信頼区間"]), (e["ci_low"], e["ci_high"])))
        assert printed(rec["デザイン効果"], e["deff"]) and int(rec["回答者数 n（重みなし）"]) == e["n"]


def test_the_distribution_is_satisfaction_distribution(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "区分", "グループ", "基数 n（重みなし）", "そう思う")
    shown = 0
    for by in ("age_band", "district"):
        api = survey.satisfaction_distribution(d, "satisfaction", questionnaire=q, by=by, base="all")
        api = survey.report.label_frame(api, q, columns=["code"])           # the answers named as the report does
        api = api[api["kind"].isin(["level", "excluded"])]
        labels = _labels(q, by)
        for r in rows:
            rec = dict(zip(header, bare(r)))
            if rec["区分"] != _name(q)(by):
                continue
            code = next(k for k, v in labels.items() if v == rec["グループ"])
            sub = api[api[by] == code].set_index("label")
            assert int(rec["基数 n（重みなし）"]) == sub["n"].max()
            values = [number(rec[lev]) for lev in header[3:] if rec[lev] != HIDDEN]
            for lev in header[3:]:
                if rec[lev] != HIDDEN:
                    assert printed(rec[lev], sub.loc[lev, "estimate"], scale=100), (rec["グループ"], lev)
                    shown += 1
            if len(values) == len(header) - 3:                   # percent rows add up to 100
                assert abs(sum(values) - 100) <= 0.05 * len(values)
    assert shown > 60


def test_group_differences_are_compare_groups(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "区分", "比較", "差", "p値（調整後）")
    for by in ("age_band", "district", "sex"):
        pairs = survey.compare_groups(survey.satisfaction_index(d, "satisfaction", questionnaire=q, by=by),
                                      df=d.degf).pairs
        # the pairs hold the groups' codes; the report names them from the questionnaire
        pairs[["group", "reference"]] = pairs[["group", "reference"]].map(lambda v: _labels(q, by)[float(v)])
        mine = [dict(zip(header, bare(r))) for r in rows if r[0] == _name(q)(by)]
        assert len(mine) == len(pairs)
        for rec, (_, p) in zip(mine, pairs.iterrows()):
            assert rec["比較"] == f"{p['group']} − {p['reference']}"
            assert printed(rec["差"], p["estimate"]) and printed(rec["標準誤差"], p["se"])
            assert rec["p値（調整後）"] == "<0.001" if p["p_adjusted"] < 0.001 else printed(rec["p値（調整後）"], p["p_adjusted"])
            assert rec["判定"] == verdict_text(p["verdict"], group=p["group"], reference=p["reference"])


def test_park_use_is_park_use_table(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "地区", "年間利用回数（重み付け）")
    api = survey.park_use_table(d, "park_use", by="district", questionnaire=q)
    times, never = (api[api["measure"] == m].reset_index(drop=True) for m in ("times", "never"))
    # codes and the whole-sample row 全体; the report names them (the districts, 市全体)
    assert list(times["district"]) == list(never["district"]) == [1, 2, 3, 4, 5, "全体"]
    assert [bare(r)[0] for r in rows] == [*(_labels(q, "district")[float(v)] for v in times["district"][:-1]), "市全体"]
    for r, (_, t), (_, s) in zip(rows, times.iterrows(), never.iterrows()):
        rec = dict(zip(header, bare(r)))
        assert printed(rec["年間利用回数（重み付け）"], t["estimate"])
        assert numbers_in(rec["95%信頼区間"]) == [round(t["ci_low"], 1) + 0.0, round(t["ci_high"], 1)]
        if rec["「利用しない」の割合(%)（重み付け）"] != HIDDEN:
            assert printed(rec["「利用しない」の割合(%)（重み付け）"], s["estimate"], scale=100)
        assert int(rec["回答者数 n（重みなし）"]) == s["n"] == t["n"]


def test_ranking_shares_are_topk_shares(bundled_run, out, questionnaire):
    q, d, ds = questionnaire, bundled_run.design, bundled_run.dataset
    name, header, rows = csv_with(out["csvs"], "施策", "1位に選んだ割合(%)（重み付け）")
    items = _labels(q, "policy")
    checked = 0
    for by in (None, "age_band", "district"):
        api = survey.topk_shares(d, ["policy_1", "policy_2", "policy_3"], by=by,
                                 truncated=ds.truncated_rankings("policy"))
        for r in rows:
            rec = dict(zip(header, bare(r)))
            if (by is None) != (rec["区分"] == "全体") or (by is not None and rec["区分"] != _name(q)(by)):
                continue
            sel = api["item"].map(lambda v: items[float(v)]) == rec["施策"]
            if by is not None:
                sel &= api[by].map(lambda v: _labels(q, by)[float(v)]) == rec["グループ"]
            # the long table: one row per measure of the item (and group)
            first = api[sel & (api["measure"] == "first_share")].iloc[0]
            topk = api[sel & (api["measure"] == "topk_share")].iloc[0]
            if rec["1位に選んだ割合(%)（重み付け）"] != HIDDEN:
                assert printed(rec["1位に選んだ割合(%)（重み付け）"], first["estimate"], scale=100)
            if rec["3位までに選んだ割合(%)（重み付け）"] != HIDDEN:
                assert printed(rec["3位までに選んだ割合(%)（重み付け）"], topk["estimate"], scale=100)
                lo, hi = numbers_in(rec["同 95%信頼区間"])
                assert printed(f"{lo:.1f}", topk["ci_low"], scale=100)
                assert printed(f"{hi:.1f}", topk["ci_high"], scale=100)
            checked += 1
    assert checked == len(rows) == 12 * (1 + 6 + 5)


def test_allocation_means_are_allocation_means(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "全体", without=("順位",))
    assert header[0].startswith("みどりのチカラ（平均配分額")
    columns = list(q["allocation"].columns)
    policy = survey.allocation_policy(q["allocation"])
    whole = survey.allocation_means(d, columns, **policy)
    frame = whole.to_frame() if hasattr(whole, "to_frame") else whole
    est = frame["estimate"].to_numpy()
    for r, e in zip(rows, est):
        assert printed(r[1], e)
    # a column of means adds up to the ¥1,000 of every answer (within rounding, ±0.5 each)
    for j in range(1, len(header)):
        values = [number(r[j]) for r in rows]
        assert abs(sum(values) - 1000) <= 0.5 * len(values)


def test_the_indicator_table_is_indicator_table(bundled_run, out, questionnaire):
    from conftest import ROOT

    q, d = questionnaire, bundled_run.design
    api = survey.indicator_table(d, questionnaire=q, admin=ROOT / "data" / "midori_admin.csv", admin_year=q.wave)
    name, header, rows = csv_with(out["csvs"], "指標", "今回値", "95%信頼区間")
    for r, (_, a) in zip(rows, api.iterrows()):
        rec = dict(zip(header, r))
        assert rec["指標"] == a["label"] and printed(rec["今回値"], a["estimate"])
        if a["source"] == "survey":
            assert [printed(f"{v:.{decimals(rec['今回値'])}f}", x) for v, x in
                    zip(numbers_in(rec["95%信頼区間"]), (a["ci_low"], a["ci_high"]))] == [True, True]
        assert rec["変化の判定"] == verdict_text(a["change_verdict"], group=a["wave"], reference=a["baseline_year"])
        assert rec["目標の判定"] == verdict_text(a["verdict"])


def _weighted_shares(d, q, column, by, codes):
    """The cross table's row % by hand (numpy), independent of survey.measures.tables.tabulate:
    weighted share of each code among the group's respondents (無回答: missing), for a
    single-answer column that every respondent was asked."""
    w = d.weights.to_numpy()
    x = d.data[column].to_numpy(dtype=float, na_value=np.nan)
    g = np.zeros(len(w)) if by is None else d.data[by].to_numpy(dtype=float, na_value=np.nan)
    labels = {**{float(k): v for k, v in codes.items()}, np.nan: "無回答"}
    groups = {0.0: "全体"} if by is None else {**_labels(q, by), np.nan: "無回答"}
    out = {}
    for gk, gl in groups.items():
        mine = np.isnan(g) if gk != gk else (g == gk)
        for ck, cl in labels.items():
            cell = mine & (np.isnan(x) if ck != ck else (x == ck))
            out[(gl, cl)] = (int(cell.sum()), 100 * w[cell].sum() / w[mine].sum() if w[mine].sum() else np.nan)
    return out


def test_cross_table_and_tally_shares_by_hand(bundled_run, out, questionnaire):
    q, d = questionnaire, bundled_run.design
    name, header, rows = csv_with(out["csvs"], "設問", "表側", "区分", "選択肢")
    # every single-answer column asked of everyone: questions, matrix items, a ranking's 1st choice
    plain = []
    for x in q.questions:
        if x.attribute or x.asked_if or x.type not in ("single", "likert", "ranking"):
            continue
        if x.type == "ranking":
            plain.append((x.columns[0], f"{x.header}（1位）", x.codes))
        elif x.items:
            plain.extend((it.column, f"{x.header}：{it.label}", x.codes) for it in x.items)
        else:
            plain.append((x.id, x.header, x.codes))
    checked = 0
    for column, title, codes in plain:
        total = _weighted_shares(d, q, column, None, codes)
        for by in ("age_band", "district", "sex"):
            hand = _weighted_shares(d, q, column, by, codes)
            for r in rows:
                rec = dict(zip(header, r))
                if rec["設問"] != title or rec["表側"] != q[by].header:
                    continue
                n, pct = hand[(rec["区分"], rec["選択肢"])] if rec["区分"] != "全体" else total[("全体", rec["選択肢"])]
                if rec["回答者数 n（重みなし）"] == HIDDEN:
                    assert rec["%（重み付け）"] == HIDDEN
                    continue
                assert int(rec["回答者数 n（重みなし）"]) == n and printed(rec["%（重み付け）"], pct)
                checked += 1
            # a row of a single-answer question adds up to 100 within rounding
            by_group = {}
            for r in rows:
                if r[0] == title and r[1] == q[by].header and r[5] not in ("", HIDDEN):
                    by_group.setdefault(r[2], []).append(number(r[5]))
            for group, values in by_group.items():
                if len(values) == len(codes) + 1:
                    assert abs(sum(values) - 100) <= 0.05 * len(values), (column, by, group)
    assert checked > 1400     # 15 columns × 3 attributes × their groups and answers, less the hidden cells
    # the tally is the 全体 row
    name, header, rows = csv_with(out["csvs"], "設問", "選択肢", "%（重み付け）", without=("表側",))
    for column, title, codes in plain:
        hand = _weighted_shares(d, q, column, None, codes)
        mine = [dict(zip(header, r)) for r in rows if r[0] == title]
        assert mine, title
        assert abs(sum(number(m["%（重み付け）"]) for m in mine) - 100) <= 0.05 * len(mine)
        for m in mine:
            n, pct = hand[("全体", m["選択肢"])]
            assert int(m["回答者数 n（重みなし）"]) == n and printed(m["%（重み付け）"], pct)


def test_the_sampling_error_table_by_hand(bundled_run, out):
    # ±1.96·√(deff·p(1−p)/n) in points, with this wave's Kish deff of the weights
    w = bundled_run.design.weights.to_numpy()
    deff = len(w) * np.sum(w ** 2) / np.sum(w) ** 2
    name, header, rows = csv_with(out["csvs"], "基数 n", "50% / 50%", without=("区分",))
    for r in rows:
        n = number(r[0])
        for col, text in zip(header[1:], r[1:]):
            p = number(col.split("%")[0]) / 100
            assert printed(text, 100 * 1.96 * np.sqrt(deff * p * (1 - p) / n)), (n, col)
