"""Issue 16 items 12 and 15: CSV names a planner can read, 目次.csv, Japanese ledgers, open data.

`survey run` names every table's CSV after its sheet and title (safe on every
file system), lists them in 目次.csv with title, sheet and base, and writes
the aggregate tables as open data (opendata/: tidy long UTF-8 CSV without
BOM, データ辞書.csv, licence and publisher from the questionnaire's plan).
"""
from __future__ import annotations

import copy
import math

import pandas as pd
import pytest
import yaml

import survey
from survey.cli import main
from survey.errors import SpecError
from survey.pipeline import run_wave
from survey.plan_opendata import municipality_check_digit, parse_opendata
from survey.report.names import MAX_STEM_BYTES, safe_stem, short_title, table_stem, unique_stems
from survey.report.opendata import long_table, parse_interval
from survey.report.tableinfo import Measure, describe
from survey.weighting import read_margins, weight_wave

from conftest import QUESTIONNAIRE, ROOT

DATA = ROOT / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = ROOT / "data" / "midori_margins.csv"
BOM = b"\xef\xbb\xbf"

REPORT_CSVS = [
    "行の記録.csv", "除外行.csv", "修正セル.csv", "単純集計.csv",
    "満足度_満足度指数.csv", "満足度_回答分布.csv", "満足度_グループ間の差.csv", "満足度_地区別の公園利用.csv",
    "満足度_満足度の要因.csv", "満足度_みどりのチカラの重要度の信頼性.csv",
    "配分_平均配分額.csv", "配分_0円と回答した人の割合.csv", "配分_配分パターンによるグループ.csv",
    "重要施策_1位・3位までに選んだ割合.csv", "重要施策_年齢・地区による違いの検定.csv",
    "重要施策_モデル予測：3位までに選ばれる確率.csv", "指標_計画の指標.csv",
    "自由記述_記入状況.csv", "自由記述_テーマ別の記述の割合.csv", "自由記述_よく使われた語.csv",
    "自由記述_区分ごとの特徴語.csv", "自由記述_テーマ別の記述例.csv", "自由記述_個人情報のマスク.csv",
    "クロス集計.csv", "標本誤差.csv",
    "計画_概要.csv", "計画_地区別.csv", "計画_配布数.csv", "計画_目標.csv", "計画_見込み精度.csv", "計画_標本誤差.csv",
    "計画_方法比較.csv",
]
OPEN_CSVS = [
    "単純集計.csv", "満足度_満足度指数.csv", "満足度_回答分布.csv", "満足度_グループ間の差.csv", "満足度_地区別の公園利用.csv",
    "満足度_満足度の要因.csv", "満足度_みどりのチカラの重要度の信頼性.csv", "配分_平均配分額.csv",
    "配分_0円と回答した人の割合.csv", "配分_配分パターンによるグループ.csv", "重要施策_1位・3位までに選んだ割合.csv",
    "重要施策_年齢・地区による違いの検定.csv", "重要施策_モデル予測：3位までに選ばれる確率.csv", "指標_計画の指標.csv",
    "自由記述_記入状況.csv", "クロス集計.csv", "自由記述_テーマ別の記述の割合.csv",
]
OPEN_COLUMNS = ["全国地方公共団体コード", "地方公共団体名", "調査年度", "設問", "区分", "グループ", "項目", "統計量", "値",
                "単位", "注記"]
LICENCE = "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0） https://creativecommons.org/licenses/by/4.0/deed.ja"


@pytest.fixture(scope="module")
def out(bundled_run):
    """The bundled wave, run once for the session (conftest; byte-identical to the CLI's run, tests/test_run.py)."""
    return bundled_run.out_dir


def _csv(path, **kw):
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, **kw)


# ----------------------------------------------------------------- item 12: names and 目次.csv
def test_safe_stem_removes_everything_a_file_system_or_a_reader_could_trip_on():
    assert safe_stem("満足度/地区別") == "満足度_地区別"                  # no folder
    assert safe_stem("..\\..\\etc") == "etc"                             # no .., no backslash, no leading dot
    assert safe_stem(".hidden") == "hidden"
    assert safe_stem("a..b") == "a.b"
    assert safe_stem('x<y>:"|?*z') == "x_y_z"                           # Windows' forbidden characters
    assert safe_stem("改\n行\t\x00\x1b[2J") == "改_行_[2J"                # controls, line breaks
    assert safe_stem("表\u202egpj.csv") == "表_gpj.csv"                   # a right-to-left override cannot disguise
    assert safe_stem("CON") == "CON_" and safe_stem("nul.txt") == "nul.txt_"
    assert safe_stem("") == "表" and safe_stem("...") == "表"
    long = safe_stem("あ" * 200)                                          # 600 bytes of UTF-8 → cut at a character
    assert len(long.encode("utf-8")) <= MAX_STEM_BYTES and long == "あ" * (MAX_STEM_BYTES // 3)


def test_table_stems_drop_bracketed_qualifiers_and_stay_unique():
    assert short_title("テーマ別の記述の割合（%（重み付け）、最終行は記述数）") == "テーマ別の記述の割合"
    assert short_title("（重み付け）") == "（重み付け）"                     # nothing would be left
    assert table_stem("満足度", "回答分布（重み付け%）") == "満足度_回答分布"
    assert table_stem("指標", "") == "指標" and table_stem("指標", "指標（全体）") == "指標"
    assert table_stem("配分", "平均配分額(円)") == "配分_平均配分額"
    assert unique_stems(["目次", "表", "表", "Table", "TABLE"]) == ["目次", "表", "表_2", "Table", "TABLE_2"]


def test_every_table_is_a_csv_named_after_its_title(out):
    assert sorted(p.name for p in out.glob("*.csv")) == sorted([*REPORT_CSVS, "目次.csv"])


def test_the_index_lists_each_file_with_title_sheet_and_base(out):
    index = _csv(out / "目次.csv")
    assert list(index.columns) == ["ファイル (file)", "表題 (title)", "シート (sheet)", "基数 (base)", "備考 (note)"]
    assert index["ファイル (file)"].tolist() == [*REPORT_CSVS, "opendata/データ辞書.csv"]
    rows = {r[0]: list(r[1:]) for r in index.itertuples(index=False)}
    assert rows["満足度_満足度指数.csv"] == ["満足度指数（重み付け）", "満足度",
                                        "みどりの満足度の回答者（わからない・無回答を除く）", ""]
    assert rows["満足度_回答分布.csv"] == [
        "回答分布（区分の回答者全員（わからない・無回答を含む）を基数とする重み付け%、各行の合計は100%）", "満足度",
        "各グループの回答者全員（わからない・無回答を含む）", ""]
    assert rows["行の記録.csv"] == ["行の記録（読込 = 採用 + 除外、理由・規則ごとの件数）", "調査概要", "納品ファイルの全データ行", ""]
    assert rows["計画_概要.csv"] == ["計画の概要", "計画", "今回の調査の回答率・分散・デザイン効果から見込んだ次回調査", ""]
    assert rows["opendata/データ辞書.csv"] == [
        "オープンデータのデータ辞書（集計表を1行1値の縦持ちにしたCSV、UTF-8・BOMなし）", "", "", ""]
    assert (index["備考 (note)"] == "").all()                          # every section estimated on the bundled wave
    assert (index["基数 (base)"] != "").sum() == len(REPORT_CSVS)


def test_report_html_links_the_index_and_the_dictionary(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<a href="%E7%9B%AE%E6%AC%A1.csv">目次.csv</a>' in html
    assert '<a href="opendata/%E3%83%87%E3%83%BC%E3%82%BF%E8%BE%9E%E6%9B%B8.csv">opendata/データ辞書.csv</a>' in html


def test_the_ledger_files_are_in_japanese(out):
    rows = _csv(out / "行の記録.csv").values.tolist()
    assert rows == [   # the bundled delivery's ledger (data/SIMULATION.md lists the injected defects)
        ["読み込んだ行 (rows_read)", "1353"], ["集計に使う行 (rows_kept)", "1352"], ["除外した行 (rows_excluded)", "1"],
        ["除外：回答者IDの重複（2件目以降を除外） (excluded: duplicate_respondent_id)", "1"],
        ["修正：答えない設問（非該当）への回答を無回答にした (changed: answered_although_skipped)", "1"],
        ["修正：調査票にない回答を無回答にした (changed: invalid_code_cleared)", "1"],
        ["修正：選べる数を超えた複数回答：番号の小さい選択肢を残した (changed: multi_over_limit_keep_lowest)", "1"],
        ["修正：個人情報を記号に置き換えた (changed: personal_data_masked)", "2"]]
    assert _csv(out / "除外行.csv").values.tolist() == [["846", "回答者IDの重複（2件目以降を除外） (duplicate_respondent_id)"]]
    changes = _csv(out / "修正セル.csv")
    assert list(changes.columns) == ["データ行 (row)", "列 (column)", "変更前 (before)", "変更後 (after)", "規則 (rule)"]
    assert changes["規則 (rule)"].tolist()[:2] == ["調査票にない回答を無回答にした (invalid_code_cleared)",
                                                "選べる数を超えた複数回答：番号の小さい選択肢を残した (multi_over_limit_keep_lowest)"]


def test_the_plan_notes_are_in_japanese(out):
    plan = _csv(out / "計画_概要.csv")
    assert plan[plan["項目"] == "注記"]["内容"].tolist() == [
        "セル別の配布数の記録がないため、配布数 3000 の単純無作為抽出の期待値（調査票の配布数 × 母集団構成比）を用いた",
        "10人は地区・年齢が不明のため、各セルに按分した（回収数 × 1.0075）"]


# ----------------------------------------------------------------- item 15: the open data
def test_open_data_is_utf8_without_bom_and_the_report_csvs_keep_theirs(out):
    folder = out / "opendata"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*OPEN_CSVS, "データ辞書.csv"])
    for path in folder.iterdir():
        data = path.read_bytes()
        assert not data.startswith(BOM), path.name
        data.decode("utf-8")                                            # strict: every byte is UTF-8
        assert b"\r" not in data, path.name                            # LF line ends
    for name in REPORT_CSVS:
        assert (out / name).read_bytes().startswith(BOM), name          # Excel users' files keep the BOM


def test_every_open_table_has_the_same_long_layout(out):
    for name in OPEN_CSVS:
        frame = pd.read_csv(out / "opendata" / name, encoding="utf-8", dtype=str, keep_default_na=False)
        assert list(frame.columns) == OPEN_COLUMNS, name
        assert set(frame["全国地方公共団体コード"]) == {"112275"} and set(frame["地方公共団体名"]) == {"朝霞市"}
        assert set(frame["調査年度"]) == {"FY2025"}
        blank = frame["値"] == ""
        # a blank value says why (a small base's 参考値 may follow: 秘匿、参考値（基数30未満）)
        reason = frame.loc[blank, "注記"].str.replace("、参考値（基数30未満）", "", regex=False)
        assert reason.isin(["秘匿", "算出できない"]).all(), name
        numbers = pd.to_numeric(frame.loc[~blank, "値"])                # every other value is a number
        assert numbers.notna().all(), name


def test_the_index_rows_as_open_data(out):
    frame = pd.read_csv(out / "opendata" / "満足度_満足度指数.csv", encoding="utf-8", dtype=str, keep_default_na=False)
    total = frame[(frame["区分"] == "全体") & (frame["グループ"] == "全体")]
    assert total[["設問", "項目", "統計量", "値", "単位", "注記"]].values.tolist() == [
        # the printed 満足度指数 row: 0.287, SE 0.017, 0.254〜0.320, deff 1.09, n 1277 (満足度_満足度指数.csv)
        ["問6 みどりの満足度", "満足度指数", "推定値（重み付け）", "0.287", "ポイント", ""],
        ["問6 みどりの満足度", "満足度指数", "標準誤差", "0.017", "ポイント", ""],
        ["問6 みどりの満足度", "満足度指数", "デザイン効果", "1.09", "", ""],
        ["問6 みどりの満足度", "満足度指数", "回答者数（重みなし）", "1277", "人", ""],
        ["問6 みどりの満足度", "満足度指数", "95%信頼区間下限", "0.254", "ポイント", ""],
        ["問6 みどりの満足度", "満足度指数", "95%信頼区間上限", "0.32", "ポイント", ""]]
    q = survey.load_questionnaire(QUESTIONNAIRE)
    design = weight_wave(survey.load(DATA, q), read_margins(MARGINS))
    by = survey.satisfaction_index(design, "satisfaction", questionnaire=q, by="district").to_frame()
    kita = frame[(frame["グループ"] == "北部") & (frame["統計量"] == "推定値（重み付け）")]["値"]
    assert float(kita.iloc[0]) == round(float(by.xs(2, level="district")["estimate"].iloc[0]), 3)  # 2 = 北部


def test_wide_tables_become_one_value_per_row(out):
    means = pd.read_csv(out / "opendata" / "配分_平均配分額.csv", encoding="utf-8", dtype=str, keep_default_na=False)
    wide = _csv(out / "配分_平均配分額.csv", index_col=0)
    assert len(means) == wide.shape[0] * wide.shape[1] == 120                 # 10 functions × 12 groups
    row = means[(means["区分"] == "地区") & (means["グループ"] == "内間木") & (means["項目"] == "防災")].iloc[0]
    assert (row["統計量"], row["単位"]) == ("平均配分額（重み付け）", "円")
    # whole yen, as printed; the report marks 内間木 (12 allocations), the open data note it
    assert row["値"] == "269" and float(wide.loc["防災", "地区:内間木*"]) == 269.0
    assert row["注記"] == "参考値（基数30未満）"
    dist = pd.read_csv(out / "opendata" / "満足度_回答分布.csv", encoding="utf-8", dtype=str, keep_default_na=False)
    young = dist[(dist["グループ"] == "18〜29歳") & (dist["統計量"] == "割合（重み付け）")]
    assert young["項目"].tolist() == ["そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない",
                                    "わからない", "無回答"]
    printed = _csv(out / "満足度_回答分布.csv")
    shown = printed[printed["グループ"] == "18〜29歳"].iloc[0, 3:]
    assert young["値"].astype(float).tolist() == shown.astype(float).tolist()       # 14.3, 27.3, …: the same figures
    assert young["値"].tolist()[5] == "12" and shown.iloc[5] == "12.0"              # (a whole number written whole)


def _numbers(text: str) -> set:
    """Every number printed in a CSV's text (intervals' limits too, − read as minus), as floats."""
    import re

    return {float(m.replace("\u2212", "-")) for m in re.findall(r"[\u2212-]?\d+(?:\.\d+)?", text)}


def test_every_open_value_is_printed_in_its_report_csv(out):
    """The open data holds the report's figures, nothing recomputed: each value (a p-value
    noted 未満 is the bound of ``<0.001``) is a number printed in the report's CSV of the same name."""
    checked = 0
    for name in OPEN_CSVS:
        frame = pd.read_csv(out / "opendata" / name, encoding="utf-8", dtype=str, keep_default_na=False)
        report = out / name
        printed = _numbers((report if report.exists() else out / "自由記述_テーマ別の記述の割合.csv").read_text(
            encoding="utf-8-sig"))
        for value in frame.loc[frame["値"] != "", "値"]:
            assert float(value) in printed, (name, value)
            checked += 1
    assert checked > 7000


def test_suppressed_cells_are_marked_as_in_the_report(out):
    cross = _csv(out / "クロス集計.csv")
    hidden = cross[cross["回答者数 n（重みなし）"] == "x"]
    assert len(hidden) == 140 and (hidden["%（重み付け）"] == "x").all()   # --min-cell 3 with complementary cells
    open_cross = pd.read_csv(out / "opendata" / "クロス集計.csv", encoding="utf-8", dtype=str, keep_default_na=False)
    marked = open_cross[open_cross["注記"] == "秘匿"]
    assert len(marked) == 2 * 140 and (marked["値"] == "").all()          # its n and its % hidden
    assert set(marked["統計量"]) == {"回答者数（重みなし）", "割合（重み付け）"}
    first = hidden.iloc[0]
    same = open_cross[(open_cross["設問"] == first["設問"]) & (open_cross["区分"] == first["表側"])
                      & (open_cross["グループ"] == first["区分"]) & (open_cross["項目"] == first["選択肢"])]
    assert same["注記"].tolist() == ["秘匿", "秘匿", ""] and same["値"].tolist()[2] == first["基数 n（重みなし）"]


def test_the_dictionary_describes_every_column_of_every_file(out):
    d = pd.read_csv(out / "opendata" / "データ辞書.csv", encoding="utf-8", dtype=str, keep_default_na=False)
    assert list(d.columns) == ["ファイル", "表題", "列", "意味", "単位", "基数", "出典", "ライセンス"]
    assert len(d) == 11 * len(OPEN_CSVS) + 1
    assert set(d["ライセンス"]) == {LICENCE} and set(d["出典"]) == {"朝霞市 みどりの市民アンケート（FY2025）"}
    rows = d[d["ファイル"] == "満足度_満足度指数.csv"]
    base = "みどりの満足度の回答者（わからない・無回答を除く）"
    assert rows[["列", "意味", "単位"]].values.tolist() == [
        ["全国地方公共団体コード", "全国地方公共団体コード（総務省、検査数字を含む6桁）", ""],
        ["地方公共団体名", "調査を実施した地方公共団体", ""],
        ["調査年度", "調査の回（調査年度）", ""],
        ["設問", "設問の番号と見出し（調査票のとおり）", ""],
        ["区分", "集計の区分（全体、または年齢・地区などの属性）", ""],
        ["グループ", "区分の中のグループ（全体の行は「全体」）", ""],
        ["項目", "値が何についての数値か（選択肢・施策・働き・指標など）", ""],
        ["統計量", "値の種類：推定値（重み付け）、標準誤差、デザイン効果、回答者数（重みなし）、95%信頼区間下限、95%信頼区間上限", ""],
        ["値", "数値（秘匿・算出できない場合は空欄で、注記に理由）", "ポイント、人"],
        ["単位", "値の単位（空欄は単位のない比・統計量）", ""],
        ["注記", "秘匿：回答者が少なく個人が特定されうるため非公表（集計表・報告書と同じ秘匿）。算出できない：回答がない、または"
                "分散が0などで値が定まらない。未満：値はこの数値より小さい（p値 <0.001 など）。"
                "参考値（基数30未満）：その区分の回答者数（重みなし）が30未満で誤差が大きいため参考値（集計表・報告書では"
                "区分名に *）。理由が2つのときは「、」で区切る。空欄：注記なし", ""]]
    assert set(rows["表題"]) == {"満足度指数（重み付け）"} and set(rows["基数"]) == {base}
    assert d.iloc[-1][["ファイル", "表題", "意味"]].tolist() == [
        "", "注記", "同梱の回答データは合成データ（data/SIMULATION.md）であり、実際の調査結果ではない。"]


def test_nothing_in_the_open_data_identifies_a_respondent(out):
    raw = pd.read_csv(DATA, encoding="cp932", dtype=str, keep_default_na=False)
    ids = set(raw["回答者ID"]) - {""}
    comments = {c.strip() for c in raw["問12 自由意見"] if len(c.strip()) >= 8}
    words = set(_csv(out / "自由記述_よく使われた語.csv").iloc[:, 1:].stack().str.split(" ").str[0]) - {""}
    text = "\n".join((out / "opendata" / name).read_text(encoding="utf-8") for name in OPEN_CSVS)
    assert len(comments) > 50 and len(words) > 20
    assert not [c for c in comments if c in text]                       # no comment, nor a piece of one
    spec = QUESTIONNAIRE.read_text(encoding="utf-8")                    # (words of the questionnaire's labels may appear)
    assert not {w for w in words if len(w) >= 4 and w in text and w not in spec}   # nor the comments' words
    for name in OPEN_CSVS:
        frame = pd.read_csv(out / "opendata" / name, encoding="utf-8", dtype=str, keep_default_na=False)
        assert not {"id", "respondent_id", "回答者ID", "row", "データ行 (row)"} & set(frame.columns)
        for col in ("設問", "区分", "グループ", "項目"):                      # labels, never ids
            assert len(set(frame[col]) & ids) == 0, (name, col)
        assert len(frame) < 6000                                        # tables, not one row per respondent


# ----------------------------------------------------------------- the plan's opendata block
def _spec(tmp_path, edit):
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    spec = copy.deepcopy(spec)
    edit(spec["analysis"])
    for sid in ("parks", "drivers", "reliability", "freetext", "next_wave", "crosstabs", "allocation", "priorities"):
        spec["analysis"]["sections"].pop(sid)
        for sheet in spec["analysis"]["workbook"]:
            sheet["sections"] = [s for s in sheet["sections"] if s != sid]
    spec["analysis"]["workbook"] = [s for s in spec["analysis"]["workbook"] if s["sections"]]
    spec["analysis"]["html"] = [s for s in spec["analysis"]["html"] if s in spec["analysis"]["sections"]]
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_publisher_and_licence_come_from_the_questionnaire(tmp_path):
    def other_city(a):
        a["opendata"] = {"licence": "CC0 1.0", "publisher": "架空市", "municipality_code": "011002",
                         "source": "架空市 みどりの調査"}
    result = run_wave(_spec(tmp_path, other_city), DATA, MARGINS, out=tmp_path / "out")
    frame = pd.read_csv(result.out_dir / "opendata" / "満足度_満足度指数.csv", encoding="utf-8", dtype=str)
    assert set(frame["地方公共団体名"]) == {"架空市"} and set(frame["全国地方公共団体コード"]) == {"011002"}
    d = pd.read_csv(result.out_dir / "opendata" / "データ辞書.csv", encoding="utf-8", dtype=str)
    assert set(d["ライセンス"]) == {"CC0 1.0"} and set(d["出典"]) == {"架空市 みどりの調査"}


def test_without_an_opendata_block_no_open_data_is_written(tmp_path):
    result = run_wave(_spec(tmp_path, lambda a: a.pop("opendata")), DATA, MARGINS, out=tmp_path / "out")
    assert not (result.out_dir / "opendata").exists()
    index = _csv(result.out_dir / "目次.csv")
    assert "opendata/データ辞書.csv" not in set(index["ファイル (file)"])
    assert "データ辞書" not in (result.out_dir / "report.html").read_text(encoding="utf-8")


def test_the_municipality_code_is_checked_by_its_check_digit():
    # 総務省's codes: 011002 札幌市, 271004 大阪市, 271098 大阪市天王寺区, 112275 朝霞市 (by hand: 6+5+8+6+14 = 39, 11 − 6 = 5)
    assert [municipality_check_digit(c) for c in ("01100", "27100", "27109", "11227")] == [2, 4, 8, 5]
    assert parse_opendata({"licence": "CC BY 4.0", "municipality_code": "112275"}).municipality_code == "112275"
    with pytest.raises(SpecError, match=r"municipality_code 112276 fails its check digit \(expected 112275\)"):
        parse_opendata({"licence": "CC BY 4.0", "municipality_code": "112276"})
    with pytest.raises(SpecError, match=r"must be the six digits of a 全国地方公共団体コード in quotes"):
        parse_opendata({"licence": "CC BY 4.0", "municipality_code": 11227})
    with pytest.raises(SpecError, match=r"open data needs its licence: add licence:"):
        parse_opendata({"publisher": "朝霞市"})
    with pytest.raises(SpecError, match=r"unknown key 'licence_url'; opendata has licence, publisher"):
        parse_opendata({"licence": "CC BY 4.0", "licence_url": "x"})
    with pytest.raises(SpecError, match=r"publisher must be one line of non-empty text"):
        parse_opendata({"licence": "CC BY 4.0", "publisher": "朝霞市\n=cmd"})


def test_a_bad_opendata_block_stops_the_run_before_any_work(tmp_path, capsys):
    path = _spec(tmp_path, lambda a: a["opendata"].update(municipality_code="112276"))
    code = main(["run", "--questionnaire", str(path), "--data", str(DATA), "--margins", str(MARGINS),
                 "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    assert "analysis.opendata.municipality_code" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------- the long layout, unit by unit
def test_long_table_reads_values_intervals_and_marks():
    frame = describe(pd.DataFrame({
        "区分": ["全体", "地区"], "グループ": ["全体", "内間木"], "割合": [12.5, "x"], "CI": ["−1.5〜2.25", "x"],
        "p": ["<0.001", float("nan")], "n": [1352, 2]}),
        dims={"区分": "区分", "グループ": "グループ"}, fixed={"項目": "利用しない"},
        values={"割合": Measure("割合", "%"), "p": Measure("p値"), "n": Measure("回答者数", "人", item="")},
        intervals={"CI": (Measure("下限", "%"), Measure("上限", "%"))})
    got = long_table(frame, question="問7 公園")
    assert got.values.tolist() == [
        ["問7 公園", "全体", "全体", "利用しない", "割合", 12.5, "%", ""],
        ["問7 公園", "全体", "全体", "利用しない", "p値", 0.001, "", "未満"],
        ["問7 公園", "全体", "全体", "", "回答者数", 1352, "人", ""],
        ["問7 公園", "全体", "全体", "利用しない", "下限", -1.5, "%", ""],
        ["問7 公園", "全体", "全体", "利用しない", "上限", 2.25, "%", ""],
        ["問7 公園", "地区", "内間木", "利用しない", "割合", None, "%", "秘匿"],
        ["問7 公園", "地区", "内間木", "利用しない", "p値", None, "", "算出できない"],
        ["問7 公園", "地区", "内間木", "", "回答者数", 2, "人", ""],
        ["問7 公園", "地区", "内間木", "利用しない", "下限", None, "%", "秘匿"],
        ["問7 公園", "地区", "内間木", "利用しない", "上限", None, "%", "秘匿"]]


def test_a_base_of_the_group_is_written_once_however_many_items_repeat_it():
    frame = describe(pd.DataFrame({
        "グループ": ["全体", "全体", "全体", "北部", "北部"], "テーマ": ["涼しさ", "生き物", "防災", "涼しさ", "生き物"],
        "割合": [4.4, 5.7, 0.0, 6.3, 7.8], "n": [248, 248, 248, 65, 65]}),
        dims={"グループ": "グループ", "テーマ": "項目"},
        values={"割合": Measure("割合", "%"), "n": Measure("記述数", "人", item="")})
    got = long_table(frame)
    bases = got[got["統計量"] == "記述数"]
    assert bases[["グループ", "項目", "値"]].values.tolist() == [["全体", "", 248], ["北部", "", 65]]
    assert len(got) == 5 + 2                                            # five shares, two bases
    # two different numbers under one group's base are both kept (nothing is dropped silently)
    frame.loc[4, "n"] = 66
    assert long_table(frame).query("統計量 == '記述数'")["値"].tolist() == [248, 65, 66]


def test_the_theme_table_gives_each_groups_base_once(out):
    themes = pd.read_csv(out / "opendata" / "自由記述_テーマ別の記述の割合.csv", encoding="utf-8", dtype=str,
                         keep_default_na=False)
    bases = themes[themes["統計量"] == "記述数（重みなし）"]
    assert len(bases) == 12 and not bases.duplicated(["区分", "グループ"]).any()   # 全体, 6 ages, 5 districts
    assert bases.loc[bases["グループ"] == "全体", "値"].tolist() == ["248"]    # 自由記述_記入状況.csv: 248 writers
    assert (themes["統計量"] == "テーマに触れた記述の割合（重み付け）").sum() == 12 * 25


def test_long_table_melts_a_wide_table_and_splits_group_headings():
    wide = describe(pd.DataFrame({"働き": ["防災"], "全体": [203.0], "地区:内間木": [151.0]}),
                    dims={"働き": "項目"}, melt=Measure("平均配分額", "円"), split=":")
    assert long_table(wide)[["区分", "グループ", "項目", "値"]].values.tolist() == [
        ["全体", "全体", "防災", 203], ["地区", "内間木", "防災", 151]]


def test_a_layout_naming_a_missing_column_fails_loudly():
    frame = describe(pd.DataFrame({"a": [1]}), values={"b": Measure("b")})
    with pytest.raises(KeyError, match=r"the table has no column\(s\) \['b'\]"):
        long_table(frame)
    with pytest.raises(ValueError, match=r"not an interval 'low〜high': '1 to 2'"):
        parse_interval("1 to 2")
    assert all(math.isnan(v) for v in parse_interval(""))
