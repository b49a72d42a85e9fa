"""Free-text answers (issue 10): tokens, weighted word counts, log-odds,
co-occurrence, theme coding and shares, quotes, report section and sheet.

Every expected number is computed by hand in the comment next to it (toy
data written here); token lists are janome's IPADIC analysis after the
documented filter (survey/measures/freetext/tokens.py).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.design import Design
from survey.errors import DesignError, SpecError
from survey.intake.privacy import MASK_TOKENS
from survey.report.labels import label_frame
from survey.measures.freetext.analyse import (
    FreeTextTables,
    analyse_freetext,
    code_themes,
    cooccurrence,
    is_no_opinion,
    load_keywords,
    read_userdict,
    representative_quotes,
    theme_shares,
    tokenize,
    tokenize_series,
    weighted_log_odds,
    word_frequencies,
)
from survey.report.freetext_section import (
    characteristic_table,
    cooccurrence_chart,
    freetext_section,
    freetext_sheet,
    network_layout,
    quote_table,
    theme_table,
    word_table,
)

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = ROOT / "questionnaires" / "midori_keywords.yaml"
USERDICT = ROOT / "questionnaires" / "asaka_userdict.csv"


# ------------------------------------------------------------------ tokens
@pytest.mark.parametrize("text, expected", [
    # 沿い (suffix), の/を (particles), もっと (adverb), やすく/ほしい (non-independent) dropped;
    # 歩き → base form 歩く; 黒目川 kept whole by the user dictionary
    ("黒目川沿いの遊歩道をもっと歩きやすくしてほしい。", ["黒目川", "遊歩道", "歩く"]),
    # 遊ん → 遊ぶ; 内間木公園 one word (user dictionary, facility)
    ("内間木公園で子どもと遊んだ", ["内間木公園", "子ども", "遊ぶ"]),
    # the longer entry wins over 朝霞台 + 駅; 近く (副詞可能 noun) dropped
    ("朝霞台駅の近く", ["朝霞台駅"]),
    # 朝霞の森 and 基地跡地 whole; する/ほしい dropped; 残し → 残す
    ("基地跡地を朝霞の森として残してほしい。", ["基地跡地", "朝霞の森", "残す"]),
    # numbers (数), ① and the stop words お願い/希望/する dropped
    ("①歩道の緑化、2点を希望します。お願いします。", ["歩道", "緑化"]),
    # mask tokens never become words (電話/番号 would otherwise be counted)
    (f"連絡先 {MASK_TOKENS['phone']} まで", ["連絡"]),
    ("特にありません。", []),
])
def test_tokenize_with_the_asaka_user_dictionary(text, expected):
    assert tokenize(text, userdict=USERDICT) == expected


def test_without_the_user_dictionary_place_names_are_split():
    # IPADIC alone: 黒目 (地域) + 川 (接尾, dropped); 内間 + 木
    assert tokenize("黒目川沿いの遊歩道", userdict=None) == ["黒目", "遊歩道"]
    assert "内間木" not in tokenize("内間木に住む", userdict=None)


def test_tokenize_series_per_row_and_missing():
    s = pd.Series(["公園が好き", None, "公園が好き", float("nan")])
    assert tokenize_series(s, userdict=USERDICT) == [["公園", "好き"], [], ["公園", "好き"], []]


def test_user_dictionary_errors_name_the_line(tmp_path):
    entries = read_userdict(USERDICT)
    assert ("内間木", "place", "ウチマギ") in entries and ("朝霞の森", "facility", "アサカノモリ") in entries
    bad = tmp_path / "u.csv"
    bad.write_text("word,kind\n内間木,place\n", encoding="utf-8")
    with pytest.raises(SpecError, match="header"):
        read_userdict(bad)
    bad.write_text("surface,kind,reading,note\n内間木,town,ウチマギ,\n", encoding="utf-8")
    with pytest.raises(SpecError, match="line 2"):
        read_userdict(bad)
    bad.write_text("surface,kind,reading,note\n内間木,place,,\n内間木,place,,\n", encoding="utf-8")
    with pytest.raises(SpecError, match="line 3.*duplicated"):
        read_userdict(bad)


# ------------------------------------------------------------------ word frequencies
def test_weighted_document_frequencies_by_hand():
    tokens = [["公園", "木", "公園"], ["公園"], ["川"], ["公園", "川"]]
    w = [1.0, 2.0, 3.0, 4.0]                                  # Σw = 10
    wf = word_frequencies(tokens, w)
    # 公園: comments 1, 2, 4 → (1+2+4)/10 = 0.7 (counted once in comment 1); 川: 3, 4 → 0.7; 木: 1 → 0.1
    assert wf["word"].tolist() == ["公園", "川", "木"]           # ties by word (公 U+516C < 川 U+5DDD)
    assert wf["share"].tolist() == pytest.approx([0.7, 0.7, 0.1])
    assert wf["n_comments"].tolist() == [3, 2, 1]
    by = word_frequencies(tokens, w, ["x", "x", "y", "y"])
    # x: Σw = 3, 公園 (1+2)/3 = 1, 木 1/3;  y: Σw = 7, 川 7/7 = 1, 公園 4/7
    assert by[["group", "word"]].values.tolist() == [["x", "公園"], ["x", "木"], ["y", "川"], ["y", "公園"]]
    assert by["share"].tolist() == pytest.approx([1.0, 1 / 3, 1.0, 4 / 7])
    assert word_frequencies(tokens, w, min_comments=2)["word"].tolist() == ["公園", "川"]
    with pytest.raises(DesignError, match="non-negative"):
        word_frequencies(tokens, [1, 1, 1, -1])


# ------------------------------------------------------------------ log-odds (Monroe et al. 2008)
def test_weighted_log_odds_on_a_toy_example_by_hand():
    counts = pd.DataFrame({"公園": [3, 1], "木": [1, 1], "川": [0, 2]}, index=["A", "B"])
    # n_A = n_B = 4, n = 8; default α0 = n = 8, so α_w = y_w: 公園 4, 木 2, 川 2.
    # 公園, A vs B: log[(3+4)/(4+8−3−4)] − log[(1+4)/(4+8−1−4)] = log(7/5) − log(5/7) = 2·log 1.4
    #   = 0.6729444732;  σ² = 1/7 + 1/5 = 0.3428571429, σ = 0.5855400438;  z = 1.1492720...
    # 川, A vs B: log[(0+2)/(4+8−0−2)] − log[(2+2)/(4+8−2−2)] = log(0.2) − log(0.5) = log 0.4 = −0.9162907319
    #   σ² = 1/2 + 1/4 = 0.75, σ = 0.8660254038;  z = −1.0580320...
    # 木: 1 vs 1 with the same prior → δ = 0, z = 0
    lo = weighted_log_odds(counts)
    a = lo[lo["group"] == "A"].set_index("word")
    assert lo[lo["group"] == "A"]["word"].tolist() == ["公園", "木", "川"]      # sorted by z
    assert a.loc["公園", "log_odds"] == pytest.approx(0.6729444732, abs=1e-9)
    assert a.loc["公園", "se"] == pytest.approx(0.5855400438, abs=1e-9)
    assert a.loc["公園", "z"] == pytest.approx(0.6729444732 / 0.5855400438, abs=1e-9)
    assert a.loc["川", "log_odds"] == pytest.approx(math.log(0.4), abs=1e-12)
    assert a.loc["川", "z"] == pytest.approx(math.log(0.4) / math.sqrt(0.75), abs=1e-12)
    assert a.loc["木", "z"] == pytest.approx(0.0, abs=1e-12)
    b = lo[lo["group"] == "B"].set_index("word")
    assert b.loc["公園", "z"] == pytest.approx(-a.loc["公園", "z"])             # two groups: mirror images
    # α0 = 4 → α_w = y_w / 2: 公園 α = 2: log[(3+2)/(4+4−3−2)] − log[(1+2)/(4+4−1−2)] = log(5/3) − log(3/5)
    #   = 2·log(5/3) = 1.0216512475;  σ² = 1/5 + 1/3 = 0.5333…, σ = 0.7302967433;  z = 1.3989375...
    a4 = weighted_log_odds(counts, prior_strength=4).set_index(["group", "word"])
    assert a4.loc[("A", "公園"), "log_odds"] == pytest.approx(1.0216512475, abs=1e-9)
    assert a4.loc[("A", "公園"), "z"] == pytest.approx(1.0216512475 / 0.7302967433, abs=1e-9)
    with pytest.raises(DesignError, match="two groups"):
        weighted_log_odds(counts.iloc[:1])


# ------------------------------------------------------------------ co-occurrence
def test_cooccurrence_nodes_and_jaccard_by_hand():
    tokens = [["公園", "木"], ["公園", "木"], ["公園", "池"], ["木"], ["池", "鳥"]]
    nodes, edges = cooccurrence(tokens, min_comments=2, min_jaccard=0.1)
    # counts: 公園 3, 木 3, 池 2, 鳥 1 (< 2, dropped); shares 3/5, 3/5, 2/5
    assert nodes["word"].tolist() == ["公園", "木", "池"]
    assert nodes["share"].tolist() == pytest.approx([0.6, 0.6, 0.4])
    # 公園–木 together in 2 comments: J = 2 / (3 + 3 − 2) = 0.5; 公園–池 only once (< 2): no edge
    assert edges.values.tolist() == [["公園", "木", 2, pytest.approx(0.5)]]
    # weighted: w = (2,1,1,1,1): W(公園) = 4, W(木) = 4, W(both) = 3 → J = 3 / (4 + 4 − 3) = 0.6
    _, edges_w = cooccurrence(tokens, [2, 1, 1, 1, 1], min_comments=2)
    assert edges_w["jaccard"].tolist() == pytest.approx([0.6])
    _, none = cooccurrence(tokens, min_comments=2, min_jaccard=0.6)
    assert none.empty


# ------------------------------------------------------------------ themes
def _write_keywords(tmp_path, text) -> Path:
    path = tmp_path / "kw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


TOY_KEYWORDS = """
id: toy
version: "1"
question: comment
groups: {function: みどりのチカラ, policy: 今後の取組}    # report order: function themes first
no_opinion: [特になし, ありません]
themes:
  - {id: park, group: policy, label: 公園, keywords: [公園, ベンチ]}
  - {id: forest, group: policy, label: 樹林, keywords: [森, 林], exclude: [朝霞の森]}
  - {id: carbon, group: function, label: 炭素, keywords: [CO2, 温暖化]}
"""


def test_code_themes_substrings_exclusions_and_no_opinion(tmp_path):
    kw = load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS))
    assert [t.id for t in kw.themes] == ["carbon", "park", "forest"]        # function themes first
    texts = pd.Series(["公園のベンチ", "朝霞の森に行く", "斜面林と公園", "ＣＯ２を減らす", "特になし。", None, "ありません"])
    coded = code_themes(texts, kw)
    assert coded.columns.tolist() == ["carbon", "park", "forest"]
    assert coded.fillna(-1).values.tolist() == [
        [0, 1, 0],        # 公園, ベンチ
        [0, 0, 0],        # 森 only inside the excluded 朝霞の森
        [0, 1, 1],        # 林 and 公園: two themes
        [1, 0, 0],        # ＣＯ２ → NFKC, lower case → co2
        [-1, -1, -1],     # 特になし。 (punctuation ignored): not a comment → NaN
        [-1, -1, -1],     # missing
        [-1, -1, -1],
    ]
    assert is_no_opinion("特に なし！", kw) and not is_no_opinion("特になし。公園が好き", kw)
    # issue 18: the collapse key of the theme columns numbers each row's pattern of themes
    from survey.design.collapse import group_rows
    from survey.measures.freetext.themes import _coded_themes

    same, key = _coded_themes(pd.concat([texts, texts.iloc[[2, 0]]], ignore_index=True), kw)
    assert key.tolist() == [0, 1, 2, 3, 4, 4, 4, 2, 0]          # 朝霞の森 (no theme) is not 特になし (NaN)
    assert (group_rows([key], len(key)).row == group_rows(list(same.to_numpy().T), len(key)).row).all()


def test_load_keywords_labels_from_the_questionnaire_and_errors(tmp_path, questionnaire):
    kw = load_keywords(KEYWORDS, questionnaire)
    assert kw["rain"].label == "雨水の浸透・貯留" and kw["policy_07"].label == "基地跡地のみどりの活用"
    assert kw.userdict == USERDICT.resolve() and len(kw.themes) == 25
    assert kw["policy_04"].exclude == ("朝霞の森",)
    with pytest.raises(SpecError, match="needs the questionnaire"):
        load_keywords(KEYWORDS)
    bad = TOY_KEYWORDS.replace("id: forest", "id: park")
    with pytest.raises(SpecError, match="used twice"):
        load_keywords(_write_keywords(tmp_path, bad))
    with pytest.raises(SpecError, match=r"group must be one of the dictionary's groups \['function', 'policy'\]"):
        load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("group: function", "group: misc")))
    # without groups: the groups in the order they first appear, named by their ids
    plain = load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("groups: {function: みどりのチカラ, "
                                                                         "policy: 今後の取組}", "")))
    assert [t.id for t in plain.themes] == ["park", "forest", "carbon"]
    assert dict(plain.groups) == {"policy": "policy", "function": "function"}
    with pytest.raises(SpecError, match="groups must map each theme group's id to its name"):
        load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("今後の取組}", "''}")))
    with pytest.raises(SpecError, match="the dictionary needs `question:`, the id of the free-text question"):
        load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("question: comment\n", "")))
    # a theme naming a code needs the question the code belongs to
    with pytest.raises(SpecError, match="a theme with `code` needs the question whose code it is"):
        load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("label: 炭素", "code: 1")), questionnaire)
    with pytest.raises(SpecError, match="no item"):
        load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS.replace("label: 炭素", "column: imp_nothing")),
                      questionnaire)


def test_theme_shares_are_design_based_proportions(tmp_path):
    kw = load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS))
    df = pd.DataFrame({"comment": ["公園", "公園のベンチ", "森の道", "川", None], "w": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "g": [1.0, 1.0, 2.0, 2.0, 2.0]})
    d = Design(df, weights="w")
    coded = code_themes(df["comment"], kw)
    sh = theme_shares(d, coded, kw).set_index("theme")
    # park among the 4 commenters: (1+2)/(1+2+3+4) = 0.3.  Linearisation (R svyciprop on the domain):
    # z = w(y−p)/Σw_D = (0.07, 0.14, −0.09, −0.12, 0); V = 5/4·Σz² = 5/4·0.047 = 0.05875, se = 0.242384.
    # Logit CI with t(df = 4 − 1 = 3) = 3.182446: logit 0.3 = −0.847298, se_logit = 0.242384/0.21 = 1.154210
    # → expit(−0.847298 ± 3.673225) = (0.010766, 0.944060)
    assert sh.loc["park", "estimate"] == pytest.approx(0.3)
    assert sh.loc["park", "se"] == pytest.approx(math.sqrt(5 / 4 * 0.047), abs=1e-9)
    assert sh.loc["park", ["ci_low", "ci_high"]].tolist() == pytest.approx([0.010766, 0.944060], abs=1e-6)
    assert sh.loc["park", "n"] == 4 and sh.loc["park", "mentions"] == 2
    assert sh.loc["forest", "estimate"] == pytest.approx(0.3)                 # 森の道: 3/10
    # never mentioned: share 0, no interval
    assert sh.loc["carbon", ["estimate", "se", "ci_low"]].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(sh.loc["carbon", "ci_high"]) and sh.loc["carbon", "mentions"] == 0
    by = theme_shares(d, coded, kw, by="g")
    park = by[by["theme"] == "park"].set_index("g")
    # group 1: both commenters mention it → 1.0; group 2: 0 of (3+4) → 0, interval blank
    assert park["estimate"].tolist() == pytest.approx([1.0, 0.0])
    assert park["mentions"].tolist() == [2, 0] and np.isnan(park.loc[2.0, "ci_high"])


def test_representative_quotes_are_deterministic_varied_and_masked(tmp_path):
    kw = load_keywords(_write_keywords(tmp_path, TOY_KEYWORDS))
    texts = pd.Series([
        "公園のベンチを増やして。",                 # 12 chars, 2 keywords
        "公園が好き。",                             # 6 chars, 1 keyword
        "公園のベンチを増やして。 川もきれいに。",   # repeats the first sentence → skipped
        "公園は山田様090-0000-1234",                 # 19 chars, 1 keyword; re-masked when quoted
        "近くにベンチと公園がほしい。",             # 14 chars, 2 keywords
    ])
    coded = code_themes(texts, kw)
    q = representative_quotes(texts, coded, kw, per_theme=3)
    park = q[q["theme"] == "park"]
    # candidates by (−keywords, |length − median|, text); lengths 12, 6, 20, 19, 14 → median 14:
    # 「近くに…」(−2, 0), 「公園のベンチ…」(−2, 2), 「公園のベンチ… 川も…」(−2, 6: skipped, same sentence),
    # 「公園は山田様…」(−1, 5), 「公園が好き。」(−1, 8: fourth, not quoted)
    assert park["quote"].tolist() == ["近くにベンチと公園がほしい。", "公園のベンチを増やして。",
                                      f"公園は{MASK_TOKENS['name']}様{MASK_TOKENS['phone']}"]
    assert park["rank"].tolist() == [1, 2, 3] and park["comments"].tolist() == [5, 5, 5]
    short = representative_quotes(texts, coded, kw, per_theme=1, max_chars=5)
    assert short["quote"].tolist() == ["近くにベ…"]


# ------------------------------------------------------------------ the whole analysis on hand-written comments
COMMENTS = pd.DataFrame({
    "age_band": [1.0, 1.0, 2.0, 2.0, 1.0, 2.0, 1.0, 2.0],
    "district": [1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 2.0, 3.0],
    "w":        [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0, 2.0],
    "comment": ["公園にベンチが欲しい。連絡先 090-0000-1234",
                "黒目川沿いの遊歩道を歩きやすくしてほしい。",
                "公園の木陰が涼しい。",
                "基地跡地を朝霞の森として残してほしい。山田様によろしく",
                "特にありません。",
                None,
                "公園のトイレをきれいにして。",
                "ご返答は hanako@example.jp へ"],
})


@pytest.fixture(scope="module")
def coded(questionnaire) -> FreeTextTables:
    return analyse_freetext(Design(COMMENTS, weights="w"), questionnaire=questionnaire, by=("age_band", "district"))


@pytest.fixture(scope="module")
def tables(coded, questionnaire) -> FreeTextTables:
    """The tables as the report reads them: groups by name (survey.report.label_frame)."""
    return label_frame(coded, questionnaire)


def test_the_groups_are_codes_and_the_report_names_them(coded, tables):
    # issue 17: the estimator's by and group are the attribute and its level's code (全体 for the whole
    # sample); label_frame names them, and changes nothing else
    for name in ("summary", "words", "characteristic", "themes"):
        codes, named = getattr(coded, name), getattr(tables, name)
        assert list(codes.columns) == list(named.columns) and list(codes.columns[:2]) == ["by", "group"]
        assert named.drop(columns=["by", "group"]).equals(codes.drop(columns=["by", "group"]))
    s = coded.summary
    assert s["by"].tolist() == ["全体", "age_band", "age_band", "district", "district", "district"]
    assert s["group"].tolist() == ["全体", 1, 2, 1, 2, 3]
    assert tables.summary["by"].tolist() == ["全体", "年齢", "年齢", "地区", "地区", "地区"]
    assert tables.summary["group"].tolist() == ["全体", "18〜29歳", "30〜39歳", "内間木", "北部", "東部"]
    assert set(coded.characteristic["by"]) == {"age_band", "district"}
    assert coded.masked.equals(tables.masked) and coded.quotes.equals(tables.quotes)


def test_analyse_freetext_counts_and_shares_by_hand(tables):
    n = tables.notes
    # commenters: rows 1, 2, 3, 4, 7, 8 (row 5 says nothing, row 6 is blank); weights 1+2+1+3+1+2 = 10
    assert (n["respondents"], n["comments"], n["no_opinion"], n["masked_answers"]) == (8, 6, 1, 3)
    assert tables.masked.set_index("kind")["answers"].to_dict() == {
        "email": 1, "account": 0, "postal": 0, "phone": 1, "address": 0, "name": 1}
    s = tables.summary.set_index(["by", "group"])
    # comment rate: 10 / 13 overall; age 18–29: rows 1, 2, 5, 7 (w 5), commenters 1, 2, 7 (w 4) → 0.8;
    # age 30–39: rows 3, 4, 6, 8 (w 8), commenters 3, 4, 8 (w 6) → 0.75
    assert s.loc[("全体", "全体"), "estimate"] == pytest.approx(10 / 13)
    assert s.loc[("年齢", "18〜29歳"), "estimate"] == pytest.approx(0.8)
    assert s.loc[("年齢", "30〜39歳"), "estimate"] == pytest.approx(0.75)
    assert s.loc[("年齢", "18〜29歳"), ["respondents", "comments"]].tolist() == [4, 3]
    th = tables.themes[tables.themes["by"] == "全体"].set_index("theme")
    # 身近な公園等: rows 1, 3, 7 (w 1+1+1) → 0.3; 基地跡地: row 4 (w 3) → 0.3; 涼しさ: row 3 → 0.1;
    # 歩道空間: row 2 (遊歩道 contains 歩道) → 0.2; 樹林地: 森 only in 朝霞の森 (excluded) → 0
    assert th.loc["policy_02", ["estimate", "mentions", "n"]].tolist() == [pytest.approx(0.3), 3, 6]
    assert th.loc["policy_07", "estimate"] == pytest.approx(0.3)
    assert th.loc["cool", "estimate"] == pytest.approx(0.1)
    assert th.loc["policy_01", "estimate"] == pytest.approx(0.2)
    assert th.loc["policy_04", "estimate"] == 0.0
    w = tables.words[tables.words["by"] == "全体"]
    assert w.iloc[0][["word", "n_comments"]].tolist() == ["公園", 3]
    assert w.iloc[0]["share"] == pytest.approx(0.3)
    assert set(tables.characteristic["by"]) == {"年齢", "地区"}


def test_no_raw_personal_data_anywhere_in_the_tables(tables):
    for frame in (tables.words, tables.characteristic, tables.nodes, tables.quotes, tables.themes):
        text = frame.astype(str).to_string()
        for raw in ("090-0000-1234", "hanako", "example.jp", "山田"):
            assert raw not in text
    for frame in (tables.words, tables.characteristic, tables.nodes):   # mask tokens are not words
        assert not frame["word"].isin(["電話", "番号", "メール", "氏名"]).any()
    quotes = tables.quotes[tables.quotes["theme"] == "policy_02"]["quote"].tolist()
    assert f"公園にベンチが欲しい。連絡先 {MASK_TOKENS['phone']}" in quotes


def test_analyse_freetext_needs_comments(questionnaire):
    empty = COMMENTS.assign(comment=[None] * 4 + ["特になし"] * 4)
    with pytest.raises(DesignError, match="no comments"):
        analyse_freetext(Design(empty, weights="w"), questionnaire=questionnaire)


# ------------------------------------------------------------------ report section and sheet
def test_report_tables_section_and_sheet(tables, tmp_path):
    from openpyxl import load_workbook

    from survey.report.html import Methods, render_html
    from survey.report.writers import write_workbook

    theme = theme_table(tables)
    assert theme.iloc[-1]["テーマ"].startswith("記述数") and theme.iloc[-1]["全体 %（重み付け）"] == 6.0
    park = theme[theme["テーマ"] == "身近な公園等の充実"].iloc[0]
    assert park["全体 %（重み付け）"] == 30.0 and park["18〜29歳*"] == pytest.approx(50.0)  # rows 1, 7 of w 4
    assert word_table(tables).iloc[0]["全体"] == "公園 30.0%"
    assert set(characteristic_table(tables)["属性"]) == {"年齢", "地区"}
    assert quote_table(tables).columns.tolist()[:3] == ["区分", "テーマ", "記述例"]
    section = freetext_section(tables)
    assert section.id == "freetext" and len(section.figures) == 1          # one word in ≥ 2 comments: no network
    html = render_html([section], title="t", provenance_lines=["p"], methods=Methods(weighting="w", variance="v"))
    assert "090-0000" not in html and "hanako" not in html and "山田" not in html
    assert MASK_TOKENS["phone"] in html and "自由記述" in html
    sheet = freetext_sheet(tables)
    assert sheet.name == "自由記述"
    path = write_workbook([sheet], tmp_path / "t.xlsx")
    ws = load_workbook(path)["自由記述"]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any("090-0000" in c or "example.jp" in c for c in cells)
    assert any(MASK_TOKENS["phone"] in c for c in cells)


def test_network_layout_and_chart_are_deterministic():
    nodes = pd.DataFrame({"word": ["公園", "木", "池", "鳥"], "share": [0.6, 0.6, 0.4, 0.1]})
    edges = pd.DataFrame({"word_a": ["公園", "池"], "word_b": ["木", "鳥"], "jaccard": [0.5, 0.2]})
    pos = network_layout(nodes, edges)
    assert pos.shape == (4, 2) and np.abs(pos).max() == pytest.approx(1.0)
    assert np.array_equal(pos, network_layout(nodes, edges))
    # linked words end up closer than unlinked ones
    dist = lambda a, b: float(np.hypot(*(pos[a] - pos[b])))
    assert dist(0, 1) < dist(0, 2) and dist(2, 3) < dist(1, 3)
    png = cooccurrence_chart(nodes, edges, width=4, height=3, dpi=60)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == cooccurrence_chart(nodes, edges, width=4, height=3, dpi=60)


def test_a_hidden_theme_hides_its_count_and_interval_too(tables):
    # a wave of 2 comments printed 言及数 1 beside the x of its 全体 share: the count is the cell
    from dataclasses import replace

    th = tables.themes
    hide = (th["by"] == "全体") & (th["theme"] == "policy_02")       # 身近な公園等: 3 mentions (above)
    theme = theme_table(replace(tables, themes=th.assign(hidden=hide)))
    row = theme[theme["テーマ"] == "身近な公園等の充実"].iloc[0]
    assert row[["言及数 n（重みなし）", "全体 %（重み付け）", "95%信頼区間"]].tolist() == ["x", "x", "x"]
    other = theme[theme["テーマ"] == "涼しさ"].iloc[0]
    assert other["言及数 n（重みなし）"] == 1 and other["95%信頼区間"] != "x"
    # the quotes print the same count: hidden there too
    quotes = quote_table(replace(tables, themes=th.assign(hidden=hide)))
    counts = dict(zip(quotes["テーマ"], quotes["該当する記述数（重みなし）"]))
    assert counts["身近な公園等の充実"] == "x" and counts["涼しさ"] == 1


def test_no_listed_word_leaves_out_the_word_tables_and_says_why(tables):
    # with a handful of comments no word is in 3 of a group's comments: the page printed two
    # tables with a heading and no rows
    from dataclasses import replace

    few = replace(tables, words=tables.words.iloc[0:0], characteristic=tables.characteristic.iloc[0:0],
                  notes={**tables.notes, "min_comments": 3})
    section = freetext_section(few)
    assert [t.caption for t in section.tables] == ["テーマ別の記述の割合（%（重み付け））",
                                                   "テーマ別の記述例（個人情報はマスク済み）"]
    assert section.notes[-1] == ("今回は、どの区分にも3件以上の記述に現れる語がないため、"
                                 "よく使われた語と特徴語の表は示さない。")
    assert len(freetext_section(tables).tables) == 4


def test_the_methods_name_the_questionnaires_municipality_and_the_heat_map_its_groups(tables, questionnaire):
    # the user dictionary's sentence named 朝霞市 in the generic template (issue 17): the city is
    # the questionnaire's (municipality: 朝霞市), and a questionnaire that names none names no city
    words = "語の抽出：形態素解析 janome（IPADIC）に{}の利用者辞書（38語）を加え"  # 38 entries in questionnaires/asaka_userdict.csv
    named = freetext_section(tables, municipality="川辺市")
    assert named.notes[1].startswith(words.format("川辺市の地名・施設名"))
    assert freetext_sheet(tables, municipality="川辺市").notes[1] == named.notes[1]
    assert freetext_section(tables).notes[1].startswith(words.format("地名・施設名"))
    assert not any("朝霞" in note for note in named.notes + freetext_section(tables).notes)
    # the heat map's caption lists the tables' breakdowns (here age band and district), not fixed ones
    assert named.figures[0].caption == "テーマ別・記述に占める割合（重み付け）（全体・年齢別・地区別、* は記述数30未満）"
    only = label_frame(analyse_freetext(Design(COMMENTS, weights="w"), questionnaire=questionnaire, by=("district",)),
                       questionnaire)
    assert freetext_section(only).figures[0].caption == "テーマ別・記述に占める割合（重み付け）（全体・地区別、* は記述数30未満）"


def test_tokens_computed_apart_give_the_same_analysis():
    """Issue 18: survey run's worker tokenises the answers (answer_tokens) and the main process
    analyses them (analyse_freetext(tokens=)): the tables are those of one call, frame by frame;
    a token map that lacks an answer is completed by tokenising it."""
    from survey.examples import bundled_wave
    from survey.measures.freetext.analyse import analyse_freetext, answer_tokens

    wave, q = bundled_wave()
    tokens = answer_tokens(wave, questionnaire=q)
    first = next(iter(tokens))
    assert len(tokens) == 84 and tokens[first] == tokenize(first, userdict=USERDICT)   # the distinct answers
    whole = analyse_freetext(wave, questionnaire=q, by=["age_band", "district"], min_comments=3)
    for given in (tokens, dict(list(tokens.items())[1:])):
        apart = analyse_freetext(wave, questionnaire=q, by=["age_band", "district"], min_comments=3, tokens=given)
        for field in ("summary", "masked", "words", "characteristic", "nodes", "edges", "themes", "quotes"):
            pd.testing.assert_frame_equal(getattr(apart, field), getattr(whole, field))
        assert apart.notes == whole.notes
