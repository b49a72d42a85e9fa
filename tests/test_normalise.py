from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.errors import InputError
from survey.intake.dtypes import column_dtypes, question_dtype
from survey.intake.normalise import _largest_remainder, clean_text, normalise, parse_number
from survey.intake.readers import read_raw
from survey.intake.values import MISSING_REASONS

from delivery import delivery

#: The drivers model of the midori plan (section drivers of questionnaires/midori_2025.yaml).
DRIVERS = ("C(age_band)", "C(district)", "C(sex)", "C(park_use, contr.treatment(base=6))")


def _load(tmp_path, q, frame, encoding="utf-8"):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    return normalise(read_raw(path), q)


@pytest.mark.parametrize("raw,expected", [
    ("18\u301c29歳", "18〜29歳"),   # WAVE DASH
    ("18\uff5e29歳", "18〜29歳"),   # FULLWIDTH TILDE
    ("18~29歳", "18〜29歳"),
    ("１２３", "123"),
    ("ｶﾞｲﾄﾞ", "ガイド"),            # half-width kana
    ("  公園\u3000が  好き ", "公園 が 好き"),
    ("\u3000", None),
])
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_parse_number():
    assert parse_number("１，０００") == 1000.0
    assert parse_number("500円") == 500.0
    assert parse_number("abc") is None and parse_number("") is None


def test_labels_codes_fullwidth_and_missing_codes(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=4, edits=[
        (0, "問2 年齢", "18～29歳"),      # label with FULLWIDTH TILDE
        (1, "問2 年齢", "18〜29歳"),      # label with WAVE DASH
        (2, "問2 年齢", "６"),           # full-width digit
        (3, "問6 みどりの満足度", "9"),   # 無回答
        (0, "問4 居住年数", "１５"),
        (1, "問6 みどりの満足度", "6"),   # わからない: a valid code without a score
    ])
    ds = _load(tmp_path, q, frame)
    assert list(ds.data["age_band"]) == [1, 1, 6, 3]
    assert ds.data["years_lived"].iloc[0] == 15
    assert pd.isna(ds.data["satisfaction"].iloc[3])
    assert ds.missing_reasons["satisfaction"].iloc[3] == "missing_code"
    assert ds.data["satisfaction"].iloc[1] == 6
    assert ds.labelled("age_band").iloc[0] == "18〜29歳"


def test_multi_dummies_and_slots_agree(tmp_path, questionnaire):
    q = questionnaire
    dummies = delivery(q, n=2, edits=[(1, "問11 参加したい活動_3", "1"), (1, "問11 参加したい活動_1", "0")])
    ds_d = _load(tmp_path, q, dummies)
    act = q["activity"]
    slots_q = replace(q, questions=tuple(replace(x, form="slots") if x.id == "activity" else x for x in q.questions))
    slot_headers = slots_q["activity"].raw_headers
    frame = dummies.drop(columns=[it.header for it in act.items])
    frame[slot_headers[0]] = ["1", "3"]
    frame[slot_headers[1]] = ["", ""]
    frame[slot_headers[2]] = ["", ""]
    ds_s = _load(tmp_path, slots_q, frame)
    cols = list(act.columns)
    assert ds_d.data[cols].to_numpy().tolist() == [[1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]]
    # slots: row 1 chose 1, row 2 chose 3
    assert ds_s.data[cols].to_numpy().tolist() == [[1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]]


def test_multi_over_limit_keeps_lowest_and_logs(tmp_path, questionnaire):
    q = questionnaire
    edits = [(0, f"問11 参加したい活動_{k}", "1") for k in (2, 5, 7)]  # 1 is already marked: 4 marks, limit 3
    ds = _load(tmp_path, q, delivery(q, n=2, edits=edits))
    assert ds.data.loc[1, ["activity_1", "activity_2", "activity_5", "activity_7"]].tolist() == [1, 1, 1, 0]
    ch = ds.ledger.changes
    row = ch[ch.rule == "multi_over_limit_keep_lowest"]
    assert row[["row", "column", "before", "after"]].values.tolist() == [[1, "activity_7", 1, 0]]


@pytest.mark.parametrize("policy,expected_first,rule", [
    ("flag", [200.0, 100.0], None),
    ("reject", [np.nan, np.nan], "allocation_total_reject"),
    ("rescale", [181.0, 91.0], "allocation_total_rescale"),
])
def test_allocation_total_policies(tmp_path, questionnaire, policy, expected_first, rule):
    q = questionnaire
    q2 = replace(q, questions=tuple(replace(x, total_policy=policy) if x.id == "allocation" else x for x in q.questions))
    ds = _load(tmp_path, q2, delivery(q, n=2, edits=[(0, "問9_1 雨水の浸透・貯留", "200")]))
    got = ds.data.loc[1, ["alloc_rain", "alloc_cool"]].tolist()
    np.testing.assert_array_equal(got, expected_first)
    if policy == "rescale":
        # 200,100×9 → ×1000/1100 = 181.82, 90.91×9; floors 181+90×9 = 991; the 9 largest
        # remainders (.909 > .818) go to the ¥100 parts: 181 + 91×9 = 1000
        assert ds.data.loc[1, [it.column for it in q["allocation"].items]].sum() == 1000
    assert ds.data.loc[2, "alloc_rain"] == 100
    rules = set(ds.ledger.changes.rule)
    assert (rule in rules) if rule else not any(r.startswith("allocation") for r in rules)


def test_largest_remainder_is_exact():
    out = _largest_remainder(np.array([1.0, 1.0, 1.0]), 1000)
    assert out.tolist() == [334.0, 333.0, 333.0] and out.sum() == 1000


def test_ranking_duplicates_and_gaps(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=2, edits=[(0, "問10 今後力を入れるべき取組_2位", "1"),   # same item twice
                                    (1, "問10 今後力を入れるべき取組_2位", "")])   # rank 3 without rank 2
    ds = _load(tmp_path, q, frame)
    assert ds.data.loc[1, ["policy_1", "policy_2", "policy_3"]].tolist()[:2] == [1, 3]
    assert ds.data.loc[2, ["policy_1", "policy_2"]].tolist() == [1, 3]
    assert {"ranking_duplicate_item", "ranking_gap_compacted"} <= set(ds.ledger.changes.rule)


def test_skip_logic_answer_removed_and_logged(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=2, edits=[(0, "問7-1 利用しない理由", "2"),            # asked only if park_use == 6
                                    (1, "問7 公園の利用頻度", "6"), (1, "問7-1 利用しない理由", "1")])
    ds = _load(tmp_path, q, frame)
    assert pd.isna(ds.data.loc[1, "park_reason"]) and ds.data.loc[2, "park_reason"] == 1
    assert ds.missing_reasons.loc[1, "park_reason"] == "not_applicable"
    ch = ds.ledger.changes
    assert ch[ch.rule == "answered_although_skipped"][["row", "column"]].values.tolist() == [[1, "park_reason"]]


def test_row_ledger_accounts_for_every_row(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=5, edits=[(3, "回答者ID", "R0001")])  # duplicate id
    for h in frame.columns[1:]:
        frame.loc[4, h] = ""                                      # blank return
    ds = _load(tmp_path, q, frame, encoding="cp932")
    led = ds.ledger
    assert (led.rows_read, led.rows_kept, led.rows_excluded) == (5, 3, 2)
    assert led.exclusions[["row", "reason"]].values.tolist() == [[4, "duplicate_respondent_id"], [5, "blank_return"]]
    assert list(ds.data.index) == [1, 2, 3]


def test_impossible_numeric_is_cleared_and_logged(tmp_path, questionnaire):
    q = questionnaire
    ds = _load(tmp_path, q, delivery(q, n=2, edits=[(0, "問4 居住年数", "150"), (1, "問4 居住年数", "999")]))
    assert pd.isna(ds.data.loc[1, "years_lived"])
    assert ds.missing_reasons.loc[2, "years_lived"] == "missing_code"
    ch = ds.ledger.changes
    assert ch[ch.rule == "impossible_value"][["row", "before"]].values.tolist() == [[1, "150"]]


def test_missing_columns_is_an_input_error(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=1).drop(columns=["問6 みどりの満足度"])
    with pytest.raises(InputError, match=r"d\.csv.*1 questionnaire column\(s\) are missing from the file: satisfaction"):
        _load(tmp_path, q, frame)


@pytest.mark.hostile("silent")
def test_blank_return_sharing_an_id_does_not_exclude_the_real_return(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=3, edits=[(1, "回答者ID", "R0003")])
    for h in frame.columns[1:]:
        frame.loc[1, h] = ""   # row 2: a blank return carrying R0003
    ds = _load(tmp_path, q, frame)
    assert ds.ledger.exclusions[["row", "reason"]].values.tolist() == [[2, "blank_return"]]
    assert list(ds.data["id"]) == ["R0001", "R0003"]   # row 3, the real R0003, is kept


@pytest.mark.hostile("silent")
def test_several_marks_are_not_read_as_a_larger_code(tmp_path, questionnaire):
    assert parse_number("1,2") is None and parse_number("1,200") == 1200.0
    q = questionnaire
    ds = _load(tmp_path, q, delivery(q, n=1, edits=[(0, "問10 今後力を入れるべき取組_1位", "1,2")]))
    assert pd.isna(ds.data.loc[1, "policy_1"])          # not 12, and not the second choice moved up
    assert ds.missing_reasons.loc[1, "policy_1"] == "tied"    # two items in one rank box: a tie


@pytest.mark.hostile("silent")
def test_a_tied_rank_stops_the_ranking_there(tmp_path, questionnaire):
    # issue 16 item 6: "1,10" in the 2nd box used to be cleared and the 3rd choice moved up to
    # 2nd; the ranking is known only above the tie, so the tied box and the boxes below are
    # unknown, each logged, and the flag tells the estimators the ranking is cut, not short
    q = questionnaire
    edits = [(0, "問10 今後力を入れるべき取組_1位", "4"), (0, "問10 今後力を入れるべき取組_2位", "1,10"),
             (0, "問10 今後力を入れるべき取組_3位", "7"),
             (1, "問10 今後力を入れるべき取組_1位", "２・５"), (1, "問10 今後力を入れるべき取組_2位", "3"),
             (1, "問10 今後力を入れるべき取組_3位", ""),
             (2, "問10 今後力を入れるべき取組_1位", "6"), (2, "問10 今後力を入れるべき取組_2位", ""),
             (2, "問10 今後力を入れるべき取組_3位", "9")]
    ds = _load(tmp_path, q, delivery(q, n=3, edits=edits))
    ranks = ds.data[["policy_1", "policy_2", "policy_3"]].astype("Float64")
    assert ranks.loc[1].tolist() == [4, pd.NA, pd.NA]        # the 1st choice is known, nothing below
    assert ranks.loc[2].isna().all()                         # a tie at rank 1: no rank is known
    assert ranks.loc[3].tolist() == [6, 9, pd.NA]            # a gap (no tie) still closes up
    assert ds.missing_reasons.loc[1, ["policy_2", "policy_3"]].tolist() == ["tied", "tied"]
    assert ds.missing_reasons.loc[2, ["policy_1", "policy_2", "policy_3"]].tolist() == ["tied", "tied", "tied"]
    assert ds.missing_reasons.loc[3, "policy_3"] == "blank"   # the reason moves with the compaction
    tie = ds.ledger.changes[ds.ledger.changes["rule"] == "ranking_tie_truncated"]
    assert tie[["row", "column", "before"]].values.tolist() == [
        [1, "policy_2", "1,10"], [1, "policy_3", 7], [2, "policy_1", "２・５"], [2, "policy_2", 3]]
    assert tie["after"].isna().all()
    assert "invalid_code_cleared" not in set(ds.ledger.changes["rule"])
    assert ds.truncated_rankings("policy").tolist() == [True, True, False]


def test_invalid_codes_and_numbers_are_cleared_and_logged(tmp_path, questionnaire):
    q = questionnaire
    ds = _load(tmp_path, q, delivery(q, n=2, edits=[(0, "問6 みどりの満足度", "7"),      # no such code
                                                    (1, "問4 居住年数", "十年"),          # not a number
                                                    (1, "問10 今後力を入れるべき取組_3位", "13")]))
    ch = ds.ledger.changes.set_index(["row", "column"])
    assert ch.loc[(1, "satisfaction"), "rule"] == "invalid_code_cleared"
    assert ch.loc[(1, "satisfaction"), "before"] == "7" and ch.loc[(1, "satisfaction"), "after"] is None
    assert ch.loc[(2, "years_lived"), "rule"] == "invalid_number_cleared"
    assert ch.loc[(2, "policy_3"), "rule"] == "invalid_code_cleared"
    assert pd.isna(ds.data.loc[1, "satisfaction"]) and ds.missing_reasons.loc[1, "satisfaction"] == "invalid"


# --------------------------------------------------------------------------- compact dtypes (issue 9, scale)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = Path(__file__).resolve().parents[1] / "data" / "midori_margins.csv"


@pytest.fixture(scope="module")
def sample(questionnaire):
    return normalise(read_raw(SAMPLE), questionnaire)


def test_dtypes_follow_the_question_type(sample, questionnaire):
    q, data = questionnaire, sample.data
    expected = {"single": "Int16", "likert": "Int16", "ranking": "Int16", "multi": "Int8",
                "allocation": "float64", "text": "str"}
    for question in q.questions:
        want = "Int16" if question.id == "years_lived" else expected[question.type]  # integer, 0..100
        for col in question.columns:
            assert str(data[col].dtype) == want, (col, data[col].dtype)
    assert str(data[q.respondent_id].dtype) == "str"
    assert column_dtypes(q) == {c: str(t) for c, t in data.dtypes.items()}
    # missing answers are <NA>; the design layer reads them as NaN
    sat = data["satisfaction"]
    assert sat.isna().any()
    np.testing.assert_array_equal(np.isnan(sat.to_numpy(dtype=float, na_value=np.nan)), sat.isna().to_numpy())


def test_dtypes_come_from_the_questionnaire_not_the_data(questionnaire):
    q = questionnaire
    wide = replace(q["district"], codes={1: "a", 40000: "b"})
    assert question_dtype(wide) == "Int32"
    years = q["years_lived"]
    assert question_dtype(years) == "Int16"
    assert question_dtype(replace(years, maximum=100_000.0)) == "Int32"
    assert question_dtype(replace(years, maximum=None)) == "float64"    # unbounded: may not fit
    assert question_dtype(replace(years, integer=False)) == "float64"   # may be fractional
    assert question_dtype(q["activity"]) == "Int8"
    # allocation parts may be fractional, or above the total under total_policy: flag
    assert question_dtype(q["allocation"]) == "float64"


def test_coded_columns_take_a_third_of_the_float64_memory(sample, questionnaire):
    q = questionnaire
    coded = [c for x in q.questions if x.type in ("single", "likert", "ranking", "multi") for c in x.columns]
    compact = sample.data[coded].memory_usage(index=False, deep=True)
    wide = sample.data[coded].astype("float64").memory_usage(index=False, deep=True)
    n = len(sample.data)
    # nullable Int16 = 2 bytes + 1 mask byte per cell, Int8 dummies 1 + 1, float64 8
    assert compact.sum() == n * sum(3 if str(sample.data[c].dtype) == "Int16" else 2 for c in coded)
    assert wide.sum() == 8 * n * len(coded)
    assert wide.sum() / compact.sum() > 2.9      # 21 Int16 + 8 Int8 columns: 232 / 79 bytes a row
    multi = [it.column for it in q["activity"].items]
    assert wide[multi].sum() / compact[multi].sum() == 4


def test_missing_reasons_are_categorical_one_byte_a_cell(sample, questionnaire):
    """Issue 18: the reasons are categoricals over the five reasons (int8 codes), NaN where
    the cell holds an answer -- not an object frame of 8-byte pointers."""
    why = sample.missing_reasons
    assert list(why.columns) == list(sample.data.columns[1:])     # every column but the id
    for col in why.columns:
        assert list(why[col].cat.categories) == list(MISSING_REASONS)
        assert why[col].cat.codes.dtype == np.int8
        # a reason exactly where the data is missing (the id column has none)
        assert (why[col].notna().to_numpy() == sample.data[col].isna().to_numpy()).all(), col
    n = len(why)
    assert why.memory_usage(index=False, deep=True).sum() <= n * why.shape[1] + 1_000 * why.shape[1]
    assert MISSING_REASONS == ("blank", "missing_code", "invalid", "not_applicable", "tied")


def test_compact_dtypes_give_the_same_numbers_as_float64(sample, questionnaire):
    """Two routes agree: every estimate from the compact frame equals the one
    from the same frame with every numeric column as float64 (the old layout),
    to 1e-12: the routes build their arrays differently, and BLAS kernels may
    round the same sums differently by layout (a misread code moves an estimate
    by far more); labels, counts and texts exactly."""
    import survey

    q = questionnaire
    numeric = [c for c, t in sample.data.dtypes.items() if str(t) != "str"]
    wide = replace(sample, data=sample.data.astype({c: "float64" for c in numeric}))
    margins = survey.read_margins(MARGINS)
    designs = [survey.weight_wave(ds, margins) for ds in (sample, wide)]
    policy, parts = list(q["policy"].columns), list(q["allocation"].columns)

    def tables(d):
        yield survey.frequencies(d.data, d.weights.to_numpy(), q)
        yield survey.satisfaction_index(d, "satisfaction", questionnaire=q, by="district").to_frame()
        yield survey.satisfaction_distribution(d, "satisfaction", questionnaire=q, by="age_band")
        yield survey.topk_shares(d, policy, by="age_band")
        yield survey.allocation_means(d, parts, by="district")
        yield d.proportion("park_use", by="sex").to_frame()
        yield d.mean(["years_lived", "activity_1", "imp_rain"], by=["sex", "children"]).to_frame()
        yield survey.satisfaction_drivers(d, "satisfaction", questionnaire=q, predictors=DRIVERS).odds_ratios.drop(columns="term")
        yield survey.crosstab_question(d.data, d.weights.to_numpy(), q, "activity", "district")

    for a, b in zip(*(tables(d) for d in designs)):
        a, b = a.reset_index(), b.reset_index()   # group labels: 1 (Int16) and 1.0 (float64)
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        for col in a.columns:
            got, want = _comparable(a[col]), _comparable(b[col])
            if got.dtype.kind == "f":
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=col)  # NaN where NaN
            else:
                np.testing.assert_array_equal(got, want, err_msg=col)


def _comparable(s: pd.Series) -> np.ndarray:
    """Numbers as float64 (NaN for missing), anything else as text (a missing value as <NA>: the
    cross table's codes beside its 全体 row)."""
    numbers = pd.to_numeric(s, errors="coerce")
    if (numbers.notna() | s.isna()).all():
        return numbers.to_numpy(dtype=float, na_value=np.nan)
    return np.array(["<NA>" if pd.isna(v) else str(v) for v in s], dtype=object)


def test_labelled_reads_the_nullable_codes(sample):
    lab = sample.labelled("park_use")
    assert lab.dtype == "category" and lab.cat.ordered
    assert lab.isna().sum() == sample.data["park_use"].isna().sum()
    assert (lab[sample.data["park_use"].eq(6).fillna(False)] == "利用しない").all()


def test_factorisations_of_the_raw_columns_are_remembered_inside_normalisation():
    """Issue 18: a raw column is factorised once while normalising (the damage checks and the
    cleaners both read it): the same codes, read-only and in the smallest integer type;
    columns of other frames, and anything outside the block, are factorised afresh."""
    from survey.intake.values import factorized, remembered_factorizations

    frame = pd.DataFrame({"a": ["x", None, "y", "x"]}, dtype=object)    # as read_raw builds it
    other = pd.Series(["x", "y"], dtype=object)
    with remembered_factorizations(frame):
        codes, uniques = factorized(frame["a"])
        again, _ = factorized(frame["a"])
        fresh, _ = factorized(other)
        assert again is codes and not codes.flags.writeable and codes.dtype == np.int8
        assert codes.tolist() == [0, -1, 1, 0] and list(uniques) == ["x", "y"]
        assert factorized(other)[0] is not fresh
    assert factorized(frame["a"])[0] is not codes
