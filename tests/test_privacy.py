"""Personal-data masking of free-text answers (issue 9, privacy part).

Every expected value below is written by hand from the rules documented in
survey/intake/privacy.py; the phone numbers, addresses and names are
fictitious (090-0000-xxxx, example.jp, 山田太郎).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.errors import InputError
from survey.intake.normalise import Dataset, Ledger
from survey.intake.privacy import (
    MASK_TOKENS,
    PERSONAL_DATA_KINDS,
    RULE_MASKED,
    find_personal_data,
    mask_personal_data,
    mask_series,
    mask_text_columns,
    masked_counts,
)

PHONE, MAIL, POST, ADDR, NAME = (MASK_TOKENS[k] for k in ("phone", "email", "postal", "address", "name"))


@pytest.mark.parametrize("text, expected", [
    ("連絡先 090-0000-1234 までご連絡ください。", f"連絡先 {PHONE} までご連絡ください。"),
    ("携帯09000001234です", f"携帯{PHONE}です"),                              # no separators, 11 digits
    ("０９０－００００－１２３４", PHONE),                                     # full-width digits and hyphen
    ("090ー0000ー1234", PHONE),                                               # katakana long-vowel mark as hyphen
    ("090‐0000‐1234 / 090−0000−1234", f"{PHONE} / {PHONE}"),                  # U+2010 and U+2212
    ("090 0000 1234", PHONE),                                                 # spaces
    ("電話 048(463)1111", f"電話 {PHONE}"),                                    # area code in brackets
    ("電話 ０４８（４６３）１１１１", f"電話 {PHONE}"),                         # full-width brackets
    ("+81 90-0000-1234", PHONE),                                              # international form
    ("〇九〇ー〇〇〇〇ー一二三四", PHONE),                                       # kanji digits
    ("0120-123-456 は無料", f"{PHONE} は無料"),                               # toll-free, 10 digits
    ("463-1111に電話", f"{PHONE}に電話"),                                     # local number NNN-NNNN
])
def test_phone_numbers_are_masked(text, expected):
    masked, kinds = mask_personal_data(text)
    assert masked == expected
    assert kinds == ("phone",)


@pytest.mark.parametrize("text, expected", [
    ("ご返答は asaka.taro@example.jp へお願いします。", f"ご返答は {MAIL} へお願いします。"),
    ("ｍｉｄｏｒｉ＠ｅｘａｍｐｌｅ．ｊｐ まで", f"{MAIL} まで"),                 # full-width letters and ＠
    ("hanako2025 (at) example.jp", MAIL),
    ("midori アットマーク example.jp", MAIL),
])
def test_email_addresses_are_masked(text, expected):
    assert mask_personal_data(text) == (expected, ("email",))


@pytest.mark.parametrize("text, expected", [
    ("〒351-0011", POST),
    ("〒３５１－００１１", POST),
    ("〒3510011", POST),
    ("郵便番号：351-0011", f"郵便番号：{POST}"),
    ("351-0011 朝霞市本町", f"{POST} 朝霞市本町"),                             # bare, followed by a city
])
def test_postal_codes_are_masked(text, expected):
    assert mask_personal_data(text) == (expected, ("postal",))


@pytest.mark.parametrize("text, expected", [
    ("住所は朝霞市本町1-2-3です", f"住所は朝霞市{ADDR}です"),                  # the city stays, the town goes
    ("朝霞市本町１－２－３", f"朝霞市{ADDR}"),
    ("膝折町2丁目3番4号に住んでいます", f"{ADDR}に住んでいます"),
    ("本町二丁目の公園", f"{ADDR}の公園"),                                      # 丁目 alone: masked (false positive accepted)
    ("三原1-2-3", ADDR),                                                      # kanji digit in the town name
    ("123番地の5", ADDR),
    ("朝霞ハイツ101号室", ADDR),
])
def test_addresses_are_masked(text, expected):
    assert mask_personal_data(text) == (expected, ("address",))


@pytest.mark.parametrize("text, expected", [
    ("山田様", f"{NAME}様"),
    ("山田太郎さんから聞いた", f"{NAME}さんから聞いた"),
    ("山田 太郎さんへ", f"{NAME}さんへ"),                                       # surname and given name with a space
    ("長谷川太郎さんに", f"{NAME}さんに"),                                      # five kanji: nothing of the name left
    ("田中氏の意見", f"{NAME}氏の意見"),
    ("スミスさんが", f"{NAME}さんが"),
    ("ゆいちゃんと遊ぶ", f"{NAME}ちゃんと遊ぶ"),
    ("本多さん", f"{NAME}さん"),                                                # 多 ends a name here, not 多様
])
def test_names_before_honorifics_are_masked(text, expected):
    assert mask_personal_data(text) == (expected, ("name",))


@pytest.mark.parametrize("text", [
    "2025年に1,000円の寄付をしました。",          # years and yen amounts
    "100-1000円くらい", "2-3回行きました", "毎日5-6km歩きます",  # ranges with a unit
    "2025-07-01に行った", "2024-2025年度",          # dates
    "国道254号の歩道",                               # road number
    "問8-1について",                                 # question number
    "0.5ヘクタールの緑地", "10000人が利用",
    "皆さん、お客様、同様に、多様な、生物多様性、たくさんの公園",
    "市の職員さんが親切でした", "お子さんと一緒に", "息子さんと", "彼氏と散歩", "自治会さんが",
    "さんぽが好き", "イベントにさんかしたい", "もっとちゃんと管理して", "様子を見て", "お疲れ様です",
    "一番大切なのは緑", "ボランティアさん",
    "黒目川沿いの遊歩道をもっと歩きやすくしてほしい。", "春〜秋は草が伸び放題",
])
def test_ordinary_text_is_left_alone(text):
    assert mask_personal_data(text) == (text, ())


def test_several_kinds_in_one_answer_and_kinds_in_fixed_order():
    text = "〒351-0011 朝霞市本町1-2-3 山田太郎さん TEL 048(463)1111 mail: a@example.jp"
    masked, kinds = mask_personal_data(text)
    assert masked == f"{POST} 朝霞市{ADDR} {NAME}さん TEL {PHONE} mail: {MAIL}"
    assert kinds == ("email", "postal", "phone", "address", "name")
    assert set(kinds) <= set(PERSONAL_DATA_KINDS)


def test_masking_is_idempotent_and_keeps_other_text():
    text = "連絡先 ０９０－００００－１２３４（山田様）。公園の木陰が好きです。"
    once, _ = mask_personal_data(text)
    assert once == f"連絡先 {PHONE}（{NAME}様）。公園の木陰が好きです。"
    assert mask_personal_data(once) == (once, ())


def test_find_personal_data_reports_positions_in_the_original_text():
    text = "連絡先 ０９０－００００－１２３４ 山田様"
    found = find_personal_data(text)
    assert [(p.kind, p.start, p.end, p.text) for p in found] == [
        ("phone", 4, 17, "０９０－００００－１２３４"), ("name", 18, 20, "山田")]
    with pytest.raises(InputError, match="expects a string"):
        find_personal_data(None)


def test_mask_series_keeps_missing_values_index_and_name():
    s = pd.Series(["連絡先 090-0000-1234", None, "公園が好き", np.nan, "連絡先 090-0000-1234"],
                  index=[10, 11, 12, 13, 14], name="comment")
    masked, kinds = mask_series(s, with_kinds=True)
    assert masked.index.tolist() == [10, 11, 12, 13, 14] and masked.name == "comment"
    assert masked.tolist()[0] == f"連絡先 {PHONE}" and masked.tolist()[4] == f"連絡先 {PHONE}"
    assert masked.tolist()[2] == "公園が好き"
    assert masked.isna().tolist() == [False, True, False, True, False]
    assert kinds.tolist() == [("phone",), (), (), (), ("phone",)]
    assert mask_series(s).equals(masked)
    with pytest.raises(InputError, match="pandas Series"):
        mask_series(["a"])


def _dataset(questionnaire, comments):
    n = len(comments)
    data = pd.DataFrame({"id": [f"{i:04d}" for i in range(1, n + 1)], "comment": comments},
                        index=pd.RangeIndex(2, n + 2))
    old = pd.DataFrame([(2, "0001", "sex", "男", 1.0, "label_to_code")],
                       columns=["row", "respondent_id", "column", "before", "after", "rule"])
    ledger = Ledger(rows_read=n, rows_kept=n, exclusions=pd.DataFrame(columns=["row", "respondent_id", "reason"]),
                    changes=old)
    return Dataset(data=data, missing_reasons=pd.DataFrame(index=data.index), questionnaire=questionnaire,
                   provenance=None, ledger=ledger)


def test_mask_text_columns_masks_and_logs_without_the_original(questionnaire):
    ds = _dataset(questionnaire, ["連絡先 090-0000-1234 山田様", None, "公園が好き", "a@example.jp まで"])
    out = mask_text_columns(ds)
    assert out.data["comment"].tolist()[0] == f"連絡先 {PHONE} {NAME}様"
    assert out.data["comment"].tolist()[2] == "公園が好き"
    assert out.data["comment"].tolist()[3] == f"{MAIL} まで"
    assert ds.data["comment"].tolist()[0] == "連絡先 090-0000-1234 山田様"      # the input is not modified
    ch = out.ledger.changes
    assert len(ch) == 3 and ch.iloc[0]["rule"] == "label_to_code"
    logged = ch[ch["rule"] == RULE_MASKED]
    assert logged["row"].tolist() == [2, 5] and logged["respondent_id"].tolist() == ["0001", "0004"]
    assert logged["before"].tolist() == ["（個人情報：電話番号・氏名）", "（個人情報：メールアドレス）"]
    assert not logged.astype(str).apply(lambda c: c.str.contains("090-0000|example", regex=True)).any().any()


def test_masked_counts_read_the_ledger_once(questionnaire):
    # issue 16 item 3: the report counts masking where it happened (the ledger of mask_text_columns)
    out = mask_text_columns(_dataset(questionnaire, ["連絡先 090-0000-1234 山田様", None, "公園が好き",
                                                     "a@example.jp まで"]))
    counts = masked_counts(out.ledger.changes, "comment").set_index("kind")["answers"]
    assert counts.to_dict() == {"email": 1, "account": 0, "postal": 0, "phone": 1, "address": 0, "name": 1}
    only_row_2 = masked_counts(out.ledger.changes, "comment", rows=[2]).set_index("kind")["answers"]
    assert only_row_2.sum() == 2 and only_row_2["email"] == 0
    assert masked_counts(out.ledger.changes, "other")["answers"].sum() == 0
    forged = out.ledger.changes.assign(before="090-1111-2222")
    with pytest.raises(InputError, match="not the kinds mask_text_columns writes"):
        masked_counts(forged, "comment")


def test_mask_text_columns_without_findings_keeps_the_ledger(questionnaire):
    ds = _dataset(questionnaire, ["公園が好き", None])
    out = mask_text_columns(ds, questionnaire)
    assert out.ledger is ds.ledger
    assert out.data["comment"].tolist()[0] == "公園が好き"
