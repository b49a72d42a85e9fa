from dataclasses import replace

import numpy as np
import pytest

from survey.errors import InputError
from survey.intake.normalise import clean_text, normalise, parse_number, _largest_remainder
from survey.intake.readers import read_raw

from delivery import delivery


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
    assert np.isnan(ds.data["satisfaction"].iloc[3])
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
    assert np.isnan(ds.data.loc[1, "park_reason"]) and ds.data.loc[2, "park_reason"] == 1
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
    assert np.isnan(ds.data.loc[1, "years_lived"])
    assert ds.missing_reasons.loc[2, "years_lived"] == "missing_code"
    ch = ds.ledger.changes
    assert ch[ch.rule == "impossible_value"][["row", "before"]].values.tolist() == [[1, "150"]]


def test_missing_columns_is_an_input_error(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=1).drop(columns=["問6 みどりの満足度"])
    with pytest.raises(InputError, match=r"d\.csv.*1 questionnaire column\(s\) are missing from the file: satisfaction"):
        _load(tmp_path, q, frame)


def test_blank_return_sharing_an_id_does_not_exclude_the_real_return(tmp_path, questionnaire):
    q = questionnaire
    frame = delivery(q, n=3, edits=[(1, "回答者ID", "R0003")])
    for h in frame.columns[1:]:
        frame.loc[1, h] = ""   # row 2: a blank return carrying R0003
    ds = _load(tmp_path, q, frame)
    assert ds.ledger.exclusions[["row", "reason"]].values.tolist() == [[2, "blank_return"]]
    assert list(ds.data["id"]) == ["R0001", "R0003"]   # row 3, the real R0003, is kept


def test_several_marks_are_not_read_as_a_larger_code(tmp_path, questionnaire):
    assert parse_number("1,2") is None and parse_number("1,200") == 1200.0
    q = questionnaire
    ds = _load(tmp_path, q, delivery(q, n=1, edits=[(0, "問10 今後力を入れるべき取組_1位", "1,2")]))
    assert np.isnan(ds.data.loc[1, "policy_1"]) or ds.data.loc[1, "policy_1"] != 12
    assert ds.missing_reasons.loc[1, "policy_1"] == "invalid" or ds.data.loc[1, "policy_1"] == 2


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
    assert np.isnan(ds.data.loc[1, "satisfaction"]) and ds.missing_reasons.loc[1, "satisfaction"] == "invalid"
