"""The sentence catalogues (survey/catalogue.py; issue 17 §3: prose in catalogues, not in code).

The expected texts are written out by hand from the catalogues' fragments and fields, and the
rule table is compared with the wording the validation report printed before it moved out of
survey/intake/rules.py (the same strings as tests/test_validate.py's findings)."""
from __future__ import annotations

import pytest

from survey.catalogue import Catalogue
from survey.intake.findings import allowed_codes, describe_condition, no_answer_fix
from survey.intake.messages import MESSAGES, message
from survey.intake.rules import RULES, SEVERITIES, Rule, Severity, rule_catalogue


def test_a_japanese_list_joins_without_a_separator_and_english_folds_with_spaces():
    # message_ja is two fragments, message_en a folded block of two lines in messages.yaml
    assert RULES[Rule.UNDECODABLE_BYTES].message_ja == (
        "ファイルの{line}行目に{encoding}として読めないバイト列（{bytes}）があります（読み取った値「{value}」）。"
        "UTF-8またはCP932（Shift_JIS）で保存し直して再納品してください。")
    assert RULES[Rule.UNDECODABLE_BYTES].message_en == (
        "Line {line} of the file holds bytes ({bytes}) that are not valid {encoding} (read as '{value}'); "
        "re-save the file as UTF-8 or CP932 (Shift_JIS) and deliver it again.")
    assert message("policy.multi.keep_lowest.ja", limit=3) == "集計では番号の小さい順に3つを採用します。"
    assert message("wording.and.en") == " and "


def test_the_rule_table_reads_the_catalogue_on_first_use():
    assert len(RULES) == len(Rule) == len(SEVERITIES) == 28
    assert list(RULES) == list(Rule)
    info = RULES["duplicate_id"]             # a code string works like the Rule
    assert (info.category, info.severity, info.title_ja, info.title_en) == (
        "ID重複", Severity.ERROR, "回答者IDの重複", "repeated respondent ID")
    assert repr(RULES) == "RULES(28 rules, survey/intake/messages.yaml)"
    cat = rule_catalogue().set_index("rule")
    assert cat.loc["hidden_row", ["category", "severity", "title_ja"]].tolist() == ["非表示行", "warning", "非表示の行"]


def test_the_wording_helpers_fill_the_catalogue(questionnaire):
    q = questionnaire["satisfaction"]
    assert no_answer_fix(q) == ("無回答なら9を入力してください", "key 9 when the form has no answer")
    assert allowed_codes(q) == ("1〜6、無回答 9", "1–6; no answer 9")   # 6 = わからない
    assert allowed_codes(q, dummy=True)[0].startswith("0、1（または印 ")
    park_reason = questionnaire["park_reason"]
    ja, en = describe_condition(questionnaire, park_reason.asked_if)
    assert ja == "「問7 公園の利用頻度」が6（利用しない）"
    assert en == "'問7 公園の利用頻度' is 6 (利用しない)"


def test_an_unknown_key_and_a_key_in_two_files_are_programming_errors():
    with pytest.raises(KeyError, match=r"no sentence 'rules\.nothing\.title_ja' in messages\.yaml; known under 'rules\.': "
                                 r"rules\.allocation_total\.category, .* … \(128 more\)"):
        MESSAGES.template("rules.nothing.title_ja")
    twice = Catalogue("survey.intake", ("messages.yaml", "messages.yaml"))
    with pytest.raises(KeyError, match=r"sentence 'rules\.undecodable_bytes\.category' is in both messages\.yaml "
                                       r"and messages\.yaml"):
        twice.entries()
    assert twice.name == "messages.yaml, messages.yaml"


def test_a_missing_field_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="limit"):
        message("policy.multi.keep_lowest.ja")
