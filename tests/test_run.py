"""`survey run` end to end on the bundled wave."""
import json

import openpyxl
import pandas as pd
import pytest

from survey.cli import main

from conftest import ROOT

ARGS = ["--questionnaire", str(ROOT / "questionnaires/midori_2025.yaml"),
        "--data", str(ROOT / "data/raw/midori_2025_sample.csv"),
        "--margins", str(ROOT / "data/midori_margins.csv"), "--quiet"]


@pytest.fixture(scope="module")
def run_dirs(bundled_run, tmp_path_factory):
    """The session's bundled run (the API, conftest) and the same wave run again through the
    CLI: the two folders must be byte-identical."""
    second = tmp_path_factory.mktemp("run2")
    assert main(["run", *ARGS, "--out", str(second)]) == 0
    return bundled_run.out_dir, second / "FY2025"


def test_run_writes_tables_and_two_runs_are_byte_identical(run_dirs):
    a, b = run_dirs
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert {"集計表.xlsx", "report.html", "単純集計.csv", "クロス集計.csv", "標本誤差.csv", "行の記録.csv", "provenance.json",
            "目次.csv", "opendata/データ辞書.csv", "opendata/満足度_満足度指数.csv"} <= set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_ledger_balances_and_matches_the_api(run_dirs):
    import survey

    a, _ = run_dirs
    ledger = pd.read_csv(a / "行の記録.csv", encoding="utf-8-sig").set_index("項目 (item)")["件数 (count)"]
    ledger = ledger.rename(index=lambda s: s.rsplit("(", 1)[-1].rstrip(")"))   # 読み込んだ行 (rows_read) -> rows_read
    assert ledger["rows_read"] == ledger["rows_kept"] + ledger["rows_excluded"]
    q = survey.load_questionnaire(ROOT / "questionnaires/midori_2025.yaml")
    ds = survey.load(ROOT / "data/raw/midori_2025_sample.csv", q)
    assert ledger["rows_kept"] == ds.ledger.rows_kept == len(ds.data)
    prov = json.loads((a / "provenance.json").read_text(encoding="utf-8"))
    assert prov["input"]["sha256"] == ds.provenance.sha256
    assert prov["questionnaire"]["version"] == "2025.1"


def test_workbook_sheets_and_a_figure_equal_the_api(run_dirs):
    import survey
    from survey.weighting import read_margins, weight_wave

    a, _ = run_dirs
    wb = openpyxl.load_workbook(a / "集計表.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["調査概要", "単純集計"]
    assert {"クロス集計", "標本誤差"} <= set(wb.sheetnames)
    rows = list(wb["単純集計"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "設問")
    assert rows[header][:3] == ("設問", "選択肢", "回答者数 n（重みなし）")
    q = survey.load_questionnaire(ROOT / "questionnaires/midori_2025.yaml")
    ds = survey.load(ROOT / "data/raw/midori_2025_sample.csv", q)
    design = weight_wave(ds, read_margins(ROOT / "data/midori_margins.csv"))
    # 単純集計 uses every respondent as the base (無回答 shown as a level)
    w = design.weights.to_numpy()
    p = w[(design.data["satisfaction"] == 1).to_numpy(dtype=bool, na_value=False)].sum() / w.sum()
    row = next(r for r in rows if r[0] == "問6 みどりの満足度" and r[1] == "そう思う")  # the heading, not the id
    assert row[3] == pytest.approx(round(100 * p, 1))
    # 満足度 sheet: the city-wide index equals survey.satisfaction_index on the raked design
    idx = survey.satisfaction_index(design, "satisfaction", questionnaire=q).to_frame()["estimate"].iloc[0]
    sat_rows = list(wb["満足度"].iter_rows(values_only=True))
    total = next(r for r in sat_rows if r[0] == "全体" and r[1] == "全体")
    assert total[2] == pytest.approx(round(idx, 3))
    assert {"満足度", "配分", "重要施策", "指標"} <= set(wb.sheetnames)


def test_no_respondent_ids_in_reports(run_dirs):
    a, _ = run_dirs
    raw = pd.read_csv(ROOT / "data/raw/midori_2025_sample.csv", encoding="cp932", dtype=str)
    ids = set(raw["回答者ID"].dropna())
    assert len(ids) > 1000
    for path in a.glob("*.csv"):
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
        assert not {"id", "respondent_id", "回答者ID"} & set(frame.columns), path.name
        for col in frame.columns:  # ids are 0001…: a count may equal one, a column of ids would match many
            assert len(set(frame[col].dropna()) & ids) <= 3, (path.name, col)


def test_unusable_input_exits_2_with_reason(tmp_path, capsys):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    code = main(["run", "--data", str(bad), "--questionnaire", str(ROOT / "questionnaires/midori_2025.yaml"),
                 "--margins", str(ROOT / "data/midori_margins.csv"), "--out", str(tmp_path), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "empty.csv" in err and "empty" in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--no-such-option"])
    assert info.value.code == 2
    assert main([]) == 2


def test_plan_command_writes_the_plan(tmp_path, capsys):
    code = main(["plan", "--questionnaire", str(ROOT / "questionnaires/midori_2025.yaml"),
                 "--data", str(ROOT / "data/raw/midori_2025_sample.csv"),
                 "--margins", str(ROOT / "data/midori_margins.csv"), "--out", str(tmp_path), "--quiet"])
    assert code == 0
    book = openpyxl.load_workbook(tmp_path / "FY2025-plan" / "計画.xlsx", read_only=True)
    assert book.sheetnames == ["計画"]
    cells = pd.read_csv(tmp_path / "FY2025-plan" / "計画_配布数.csv", encoding="utf-8-sig")
    assert len(cells) >= 30  # one row per district × age cell (plus totals)
    # mailing.csv: the same mailing in the form `survey run --mailing` reads
    from survey.intake.sidetables import read_mailing
    from survey.weighting import mailing_cells, read_margins

    mailing = read_mailing(tmp_path / "FY2025-plan" / "mailing.csv")
    assert list(mailing.columns) == ["district", "district_label", "age_band", "age_band_label", "mailed"]
    assert len(mailing) == 30 and mailing["mailed"].sum() == cells["配布数"].sum()
    assert mailing["district_label"].iloc[0] == "内間木"
    checked = mailing_cells(mailing, read_margins(ROOT / "data/midori_margins.csv"), keys=("district", "age_band"))
    assert (checked["base_weight"].round(2).to_numpy() == cells["基本ウエイト"].to_numpy()).all()


def test_run_workbook_has_the_plan_sheet(run_dirs):
    a, _ = run_dirs
    wb = openpyxl.load_workbook(a / "集計表.xlsx", read_only=True)
    assert "計画" in wb.sheetnames


def test_run_with_a_mailing_file(tmp_path):
    """--mailing: base weights N_h / m_h per district × age band cell, strata, then raking.
    The mailing is made up but consistent with the bundled returns (mailed = 2 × returned + 5)."""
    import survey
    from survey.weighting import read_margins, weight_wave

    q = survey.load_questionnaire(ROOT / "questionnaires/midori_2025.yaml")
    ds = survey.load(ROOT / "data/raw/midori_2025_sample.csv", q)
    returned = ds.data.groupby(["district", "age_band"]).size().rename("n").reset_index()
    mailing = returned.assign(mailed=2 * returned["n"] + 5)[["district", "age_band", "mailed"]]
    path = tmp_path / "mailing.csv"
    mailing.to_csv(path, index=False)
    assert main(["run", *ARGS, "--mailing", str(path), "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out" / "FY2025"
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert prov["mailing"]["file"] == "mailing.csv" and prov["mailing"]["mailed"] == int(mailing["mailed"].sum())
    overview = dict(list(openpyxl.load_workbook(out / "集計表.xlsx", read_only=True)["調査概要"].iter_rows(
        min_col=1, max_col=2, values_only=True)))
    assert "層別無作為抽出" in overview["抽出方法"]
    assert overview["配布数"] == int(mailing["mailed"].sum())  # a number cell (format #,##0)
    assert overview["重み付け"].startswith("基本ウエイト（層の母集団数÷配布数）から")
    assert "配布数ファイル（mailing.csv" in (out / "report.html").read_text(encoding="utf-8")
    plan = pd.read_csv(out / "計画_概要.csv", encoding="utf-8-sig").set_index("項目")["内容"]
    assert plan["配布数の出典"] == "配布数ファイル（セル別）"
    design = weight_wave(ds, read_margins(ROOT / "data/midori_margins.csv"), mailing=path)
    idx = survey.satisfaction_index(design, "satisfaction", questionnaire=q).to_frame()
    table = pd.read_csv(out / "満足度_満足度指数.csv", encoding="utf-8-sig")
    total = table[(table.iloc[:, 0] == "全体") & (table.iloc[:, 1] == "全体")].iloc[0]
    assert total.iloc[2] == pytest.approx(round(float(idx["estimate"].iloc[0]), 3))
    assert total.iloc[3] == pytest.approx(round(float(idx["se"].iloc[0]), 3))
