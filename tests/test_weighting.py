"""survey.weighting.wave: base weights from a mailing file (survey run --mailing), then raking.

Reference numbers: tests/reference/weighting_mailing.json, written by the committed R
script tests/reference/weighting_mailing.R (R survey 4.1.1: svydesign with the mailing
cells as strata and base weights N_h / m_h, then calibrate(calfun = "raking")) on the
synthetic wave of tests/reference/weighting_mailing_make_data.py.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import survey
from survey.design import Design
from survey.errors import InputError
from survey.intake.sidetables import read_mailing
from survey.weighting import mailing_cells, read_margins, weight_wave

HERE = Path(__file__).resolve().parent
REF_DIR = HERE / "reference"
REF = json.loads((REF_DIR / "weighting_mailing.json").read_text(encoding="utf-8"))
MAILING = REF_DIR / "weighting_mailing_mailing.csv"
MARGINS = REF_DIR / "weighting_mailing_margins.csv"
RESPONDENTS = pd.read_csv(REF_DIR / "weighting_mailing_respondents.csv")
#: Raked attributes and mailing cells come from the midori plan (analysis.weighting).
QUESTIONNAIRE = survey.load_questionnaire(HERE.parent / "questionnaires" / "midori_2025.yaml")
SEX_3 = {"sex": [3]}  # 回答しない (the reported case) has no population count: 不明, as in the R script
CASES = {"register": ("district", "age_band", "sex"), "reported": ("district_rep", "age_band_rep", "sex_rep")}


def _wave(case: str) -> SimpleNamespace:
    d, a, s = CASES[case]
    r = RESPONDENTS
    return SimpleNamespace(questionnaire=QUESTIONNAIRE, data=pd.DataFrame({
        "district": r[d].astype(float), "age_band": r[a].astype(float), "sex": r[s].astype(float),
        "satisfaction": r["satisfaction"].astype(float)}))


@pytest.fixture(scope="module")
def margins():
    return read_margins(MARGINS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_base_weights_strata_and_raking_match_r(case, margins, questionnaire):
    ref = REF[case]
    design = weight_wave(_wave(case), margins, not_in_margins=SEX_3, mailing=MAILING)
    np.testing.assert_allclose(design.data["_base_weight"], ref["base_weights"], rtol=1e-12)
    np.testing.assert_allclose(design.weights, ref["weights"], rtol=1e-9)   # raking tol 1e-10
    assert design.degf == ref["degf"]                                       # n - strata
    assert design.data["_stratum"].nunique() == ref["strata"]
    f = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire).to_frame().iloc[0]
    assert f["estimate"] == pytest.approx(ref["index"]["estimate"], abs=1e-10)
    assert f["se"] == pytest.approx(ref["index"]["se"], abs=1e-10)
    assert f["deff"] == pytest.approx(ref["index"]["deff"], rel=1e-8)
    for by, key in (("district", "by_district"), ("age_band", "by_age")):
        g = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire, by=by).to_frame()
        assert [int(v) for v in g.index.get_level_values(0)] == ref[key]["groups"]
        np.testing.assert_allclose(g["estimate"], ref[key]["estimate"], atol=1e-10)
        np.testing.assert_allclose(g["se"], ref[key]["se"], atol=1e-10)
    # R rake(): same weights; its variance differs a little (per-margin projections)
    assert ref["rake_weight_ratio_range"] == pytest.approx([1, 1], abs=1e-9)
    assert f["se"] == pytest.approx(ref["rake_index"]["se"], rel=1e-2)


def test_without_mailing_equal_base_weights_as_before(margins, questionnaire):
    ref = REF["register"]["equal_start"]
    wave = _wave("register")
    design = weight_wave(wave, margins, not_in_margins=SEX_3)
    assert design.data["_base_weight"].nunique() == 1 and "_stratum" not in design.data
    assert repr(design).startswith("Design(n=201, strata=0")
    f = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire).to_frame().iloc[0]
    assert f["estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
    assert f["se"] == pytest.approx(ref["se"], abs=1e-10)
    g = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire, by="district").to_frame()
    np.testing.assert_allclose(g["estimate"], ref["by_district"], atol=1e-10)


def test_mailing_as_path_or_frame_gives_one_design(margins):
    a = weight_wave(_wave("reported"), margins, not_in_margins=SEX_3, mailing=MAILING)
    b = weight_wave(_wave("reported"), margins, not_in_margins=SEX_3, mailing=read_mailing(MAILING))
    c = weight_wave(_wave("reported"), margins, not_in_margins=SEX_3, mailing=str(MAILING))
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.weights, c.weights)


def test_mailing_cells_base_weights_from_the_margins(margins):
    frame = read_mailing(MAILING).assign(population=1, district_label="x")  # extra columns are not used
    cells = mailing_cells(frame, margins, keys=("district", "age_band"))
    assert list(cells.columns) == ["district", "age_band", "population", "mailed", "base_weight"]
    first = cells.iloc[0]
    assert (first["district"], first["age_band"], first["population"], first["mailed"]) == (1, 1, 350, 60)
    assert first["base_weight"] == pytest.approx(350 / 60)
    # a cell mailed 0 is dropped; its respondents (reported there) start from the mean base weight
    zero = read_mailing(MAILING).assign(mailed=lambda f: f["mailed"].where(f.index != 0, 0))
    assert len(mailing_cells(zero, margins, keys=("district", "age_band"))) == 8
    wave = _wave("register")
    wave.data = wave.data[~((wave.data["district"] == 1) & (wave.data["age_band"] == 1))].reset_index(drop=True)
    design = weight_wave(wave, margins, not_in_margins=SEX_3, mailing=zero)
    assert (design.data["_stratum"] > 0).all()


def test_respondents_without_a_mailed_cell_form_stratum_0(margins):
    design = weight_wave(_wave("reported"), margins, not_in_margins=SEX_3, mailing=MAILING)
    data = design.data
    unplaced = data["district"].isna() | data["age_band"].isna()
    assert (data.loc[unplaced, "_stratum"] == 0).all() and (data.loc[~unplaced, "_stratum"] > 0).all()
    placed = data[~unplaced]
    # district known: the mean base weight of the placed respondents of that district
    row = data[unplaced & data["district"].notna()].iloc[0]
    same = placed.loc[placed["district"] == row["district"], "_base_weight"].mean()
    assert row["_base_weight"] == pytest.approx(same)
    # district unknown, age band known: of that age band
    row = data[data["district"].isna() & data["age_band"].notna()].iloc[0]
    assert row["_base_weight"] == pytest.approx(placed.loc[placed["age_band"] == row["age_band"],
                                                           "_base_weight"].mean())


def test_a_cell_with_one_respondent_is_measured_from_the_grand_mean(margins, questionnaire):
    wave = _wave("register")
    cell = (wave.data["district"] == 2) & (wave.data["age_band"] == 1)
    keep = ~cell | (cell.cumsum() == 1)
    wave.data = wave.data[keep].reset_index(drop=True)
    design = weight_wave(wave, margins, not_in_margins=SEX_3, mailing=MAILING)
    assert design.lonely_psu == "adjust"
    se = survey.satisfaction_index(design, "satisfaction", questionnaire=questionnaire).to_frame()["se"].iloc[0]
    assert np.isfinite(se) and se > 0


def test_mailing_errors_name_file_row_and_fix(tmp_path, margins):
    def write(edit) -> Path:
        path = tmp_path / "mailing.csv"
        edit(pd.read_csv(MAILING)).to_csv(path, index=False)
        return path

    wave = _wave("register")
    with pytest.raises(InputError, match=r"\[file .*mailing.csv\] the mailing file needs the columns"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.rename(columns={"mailed": "配布数"})))
    with pytest.raises(InputError, match=r"row 2, column mailed\] mailed must be a whole number .* got '1.5'"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.astype({"mailed": object}).assign(
            mailed=lambda x: x["mailed"].where(x.index != 1, "1.5"))))
    with pytest.raises(InputError, match=r"row 3, column district\] the cell code '北部' is not a number"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.astype({"district": object}).assign(
            district=lambda x: x["district"].where(x.index != 2, "北部"))))
    for code in ("inf", "1e+300", "2.5"):  # fuzz: 'inf' passed the whole-number check and crashed astype(int)
        with pytest.raises(InputError, match=rf"row 3, column district\] the cell code '{re.escape(code)}' is not a "
                                             "whole-number code"):
            weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f, c=code: f.astype({"district": object}).assign(
                district=lambda x: x["district"].where(x.index != 2, c))))
    with pytest.raises(InputError, match=r"row 10\] the cell district 1, age_band 1 is listed in rows \[1, 10\]"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: pd.concat([f, f.head(1)], ignore_index=True)))
    with pytest.raises(InputError, match=r"row 10\] the cell district 4, age_band 1 is not in the margins"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: pd.concat([f, f.head(1).assign(district=4)],
                                                                     ignore_index=True)))
    with pytest.raises(InputError, match=r"400 questionnaires mailed in the cell district 1, age_band 1, but the "
                                         r"margins count 350 residents"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.assign(mailed=f["mailed"].where(f.index != 0, 400))))
    with pytest.raises(InputError, match="mails no questionnaire"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.assign(mailed=0)))
    with pytest.raises(InputError, match=r"the cell district 1, age_band 1 has 24 respondents but the mailing file "
                                         r"says 20 were mailed"):
        weight_wave(wave, margins, not_in_margins=SEX_3, mailing=write(lambda f: f.assign(mailed=f["mailed"].where(f.index != 0, 20))))


# ----------------------------------------------------------------------------- unbiasedness
# A small instance by hand: population cells district x age band x sex, a mailing whose
# sampling fractions have an age x district interaction, response rates r_age * r_sex, and
# exactly the expected number of respondents in every cell (n_c = N_c f_ad r_a r_s, whole
# numbers by construction).  The outcome has an age x district interaction as well.
N_UNIT = 2000
POP_CELLS = np.array([[[2, 3], [1, 2], [3, 3]],
                      [[1, 1], [2, 2], [1, 2]],
                      [[3, 2], [2, 1], [2, 3]]]) * N_UNIT           # [district, age, sex]
FRACTION = np.array([[0.4, 0.1, 0.2], [0.1, 0.1, 0.4], [0.2, 0.4, 0.1]])   # mailed / N per [district, age]
R_AGE, R_SEX = np.array([0.25, 0.5, 0.75]), np.array([0.8, 1.0])
Y_MEAN = np.array([[-0.4, 0.1, 0.5], [0.0, 0.2, 0.3], [0.4, -0.2, 0.6]])   # [district, age]; + 0.1 women


def _expected_wave():
    rows, margins, mailing = [], [], []
    for d in range(3):
        for a in range(3):
            mailing.append((d + 1, a + 1, round(float(FRACTION[d, a] * POP_CELLS[d, a].sum()))))
            for s in range(2):
                margins.append((d + 1, a + 1, s + 1, int(POP_CELLS[d, a, s])))
                n = POP_CELLS[d, a, s] * FRACTION[d, a] * R_AGE[a] * R_SEX[s]
                assert float(n).is_integer() and n % 2 == 0
                y = Y_MEAN[d, a] + 0.1 * s
                for k in range(int(n)):  # cell mean exactly y
                    rows.append((d + 1, a + 1, s + 1, y + (0.5 if k % 2 else -0.5)))
    data = pd.DataFrame(rows, columns=["district", "age_band", "sex", "y"]).astype(float)
    margins = pd.DataFrame(margins, columns=["district", "age_band", "sex", "count"]).astype({"count": float})
    mailing = pd.DataFrame(mailing, columns=["district", "age_band", "mailed"])
    truth = {"city": float((POP_CELLS * (Y_MEAN[:, :, None] + [0, 0.1])).sum() / POP_CELLS.sum())}
    for d in range(3):
        truth[("district", d + 1)] = float((POP_CELLS[d] * (Y_MEAN[d][:, None] + [0, 0.1])).sum()
                                           / POP_CELLS[d].sum())
    for a in range(3):
        truth[("age_band", a + 1)] = float((POP_CELLS[:, a] * (Y_MEAN[:, a][:, None] + [0, 0.1])).sum()
                                           / POP_CELLS[:, a].sum())
    return SimpleNamespace(questionnaire=QUESTIONNAIRE, data=data), margins, mailing, truth


def _errors(design: Design, truth) -> dict:
    out = {"city": float(design.mean("y").to_frame()["estimate"].iloc[0]) - truth["city"]}
    for by in ("district", "age_band"):
        f = design.mean("y", by=by).to_frame()
        for (level, _), est in f["estimate"].items():
            out[(by, int(level))] = float(est) - truth[(by, int(level))]
    return out


def test_base_weights_make_raking_unbiased_where_equal_start_is_not():
    """Expected respondents of a disproportionate mailing: raking from N_h / m_h recovers every
    population mean exactly; raking from equal weights does not (the mailing's age x district
    interaction is not in the raking model)."""
    wave, margins, mailing, truth = _expected_wave()
    with_mailing = _errors(weight_wave(wave, margins, not_in_margins=SEX_3, mailing=mailing), truth)
    equal_start = _errors(weight_wave(wave, margins, not_in_margins=SEX_3), truth)
    assert max(abs(e) for e in with_mailing.values()) < 1e-9
    assert max(abs(e) for e in equal_start.values()) > 0.02
    assert abs(equal_start["city"]) > 0.005


@pytest.mark.parametrize("code", ["inf", "2.5", "1e+300"])
def test_margins_codes_must_be_whole_numbers(code, margins):
    """An 'inf' district code in the margins crashed the mailing path with a
    pandas IntCastingNaNError instead of an InputError (the pattern fuzzing
    found in mailing files)."""
    bad = margins.astype({"district": object})
    bad.loc[3, "district"] = code
    wave = _wave("register")
    for mailing in (None, MAILING):
        with pytest.raises(InputError, match=rf"the margins' column 'district' holds '{re.escape(code)}' in row 4; "
                                             "use the questionnaire's numeric codes"):
            weight_wave(wave, bad, not_in_margins=SEX_3, mailing=mailing)


def test_raking_columns_are_added_to_the_data_without_copying_it(margins):
    # the wave's columns are shared with the design's frame (1,000,000 rows: 0.2 GB not copied);
    # the raking columns are added to the copy only
    from survey.weighting.wave import plan_margins, raking_margins

    data = _wave("register").data
    columns = list(data.columns)
    prepared, _ = raking_margins(plan_margins(margins, QUESTIONNAIRE.plan.rake), data, ["district", "age_band", "sex"],
                                 not_in_margins=SEX_3)
    assert list(data.columns) == columns
    assert list(prepared.columns) == [*columns, "_rake_district", "_rake_age_band", "_rake_sex"]
    assert all(np.shares_memory(prepared[c].to_numpy(), data[c].to_numpy()) for c in columns)
    np.testing.assert_array_equal(prepared["_rake_district"].to_numpy(), data["district"].to_numpy())
