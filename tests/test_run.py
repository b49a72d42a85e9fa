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
def run_dirs(tmp_path_factory):
    first = tmp_path_factory.mktemp("run1")
    second = tmp_path_factory.mktemp("run2")
    assert main(["run", *ARGS, "--out", str(first)]) == 0
    assert main(["run", *ARGS, "--out", str(second)]) == 0
    return first / "FY2025", second / "FY2025"


def test_run_writes_tables_and_two_runs_are_byte_identical(run_dirs):
    a, b = run_dirs
    names = sorted(p.name for p in a.iterdir())
    assert {"集計表.xlsx", "report.html", "単純集計.csv", "クロス集計.csv", "標本誤差.csv", "行の記録.csv", "provenance.json"} <= set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_ledger_balances_and_matches_the_api(run_dirs):
    import survey

    a, _ = run_dirs
    ledger = pd.read_csv(a / "行の記録.csv", encoding="utf-8-sig").set_index("item")["count"]
    assert ledger["rows_read"] == ledger["rows_kept"] + ledger["rows_excluded"]
    q = survey.load_questionnaire(ROOT / "questionnaires/midori_2025.yaml")
    ds = survey.load(ROOT / "data/raw/midori_2025_sample.csv", q)
    assert ledger["rows_kept"] == ds.ledger.rows_kept == len(ds.data)
    prov = json.loads((a / "provenance.json").read_text(encoding="utf-8"))
    assert prov["input"]["sha256"] == ds.provenance.sha256
    assert prov["questionnaire"]["version"] == "2025.1"


def test_workbook_sheets_and_a_figure_equal_the_api(run_dirs):
    import survey
    from survey.report.run import weight_wave
    from survey.report.weighting import read_margins

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
    row = next(r for r in rows if r[0] == "satisfaction" and r[1] == "そう思う")
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
    book = openpyxl.load_workbook(tmp_path / "FY2025" / "計画.xlsx", read_only=True)
    assert book.sheetnames == ["計画"]
    cells = pd.read_csv(tmp_path / "FY2025" / "計画_配布数.csv", encoding="utf-8-sig")
    assert len(cells) >= 30  # one row per district × age cell (plus totals)


def test_run_workbook_has_the_plan_sheet(run_dirs):
    a, _ = run_dirs
    wb = openpyxl.load_workbook(a / "集計表.xlsx", read_only=True)
    assert "計画" in wb.sheetnames
