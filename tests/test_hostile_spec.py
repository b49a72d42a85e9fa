"""Hostile and broken specifications and side tables (issue 15, items 5, 6, 7, 14, 19, 20).

Each test builds the bad input -- a questionnaire YAML with duplicate keys,
ambiguous labels or headings, an alias bomb, a wave label that is a path;
population margins with a level missing, a cell twice or absurd counts; a
100-point allocation questionnaire; a second ``survey simulate`` into the
same folder -- and asserts the exact outcome: the message (file, key or line,
the fix), the exit code, or the figures.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml

from survey.cli import main
from survey.errors import SpecError, SurveyError
from survey.questionnaire import load_questionnaire, parse_questionnaire
from survey.spec_checks import check_path_name, text_key
from survey.spec_loader import MAX_ALIASES, MAX_BYTES, MAX_NODES, load_yaml

from conftest import QUESTIONNAIRE, ROOT

SPEC_TEXT = QUESTIONNAIRE.read_text(encoding="utf-8")
SPEC = yaml.safe_load(SPEC_TEXT)
SAMPLE = ROOT / "data" / "raw" / "midori_2025_sample.csv"
MARGINS = ROOT / "data" / "midori_margins.csv"


def _write(tmp: Path, text: str, name: str = "q.yaml") -> Path:
    path = tmp / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _edited(tmp: Path, edit, name: str = "q.yaml") -> Path:
    spec = copy.deepcopy(SPEC)
    edit(spec)
    return _write(tmp, yaml.safe_dump(spec, allow_unicode=True), name)


def _question(spec, qid):
    return next(q for q in spec["questions"] if q["id"] == qid)


def _line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# ------------------------------------------------------------ item 6: duplicate keys


@pytest.mark.hostile("silent")
def test_a_second_scores_key_is_refused_with_both_lines(tmp_path):
    first = _line_of(SPEC_TEXT, "    scores: {1: 1.0, 2: 0.5")
    # the author added a second scores: under the first (PyYAML would keep the second silently)
    lines = SPEC_TEXT.splitlines()
    lines.insert(first, "    scores: {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.5, 5: 1.0}")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SpecError, match=rf"\[file .*q\.yaml\] duplicate key 'scores' at line {first + 1}, column 5, "
                                        rf"first at line {first}, column 5; YAML would keep only the last one "
                                        r"silently -- remove or rename one of them$"):
        load_questionnaire(path)


@pytest.mark.parametrize("codes, first, second, twins", [
    ("{1: 男性, 1: 女性}", "{1", ", 1:", ""),
    ("{01: 男性, 1: 女性}", "{01", ", 1:", " (YAML reads '01' and '1' as the same key)"),
    ("{1: 男性, 1.0: 女性}", "{1", ", 1.0", " (YAML reads '1' and '1.0' as the same key)"),
    ("{1: 男性, 2: 女性, 0x1: 回答しない}", "{1", ", 0x1", " (YAML reads '1' and '0x1' as the same key)"),
])
@pytest.mark.hostile("silent")
def test_duplicate_and_twin_codes_are_refused(tmp_path, codes, first, second, twins):
    text = SPEC_TEXT.replace("codes: {1: 男性, 2: 女性, 3: 回答しない}", f"codes: {codes}")
    line = _line_of(text, f"codes: {codes}")
    row = text.splitlines()[line - 1]
    col1, col2 = row.index(first) + 2, row.index(second) + 3  # 1-based columns of the two keys
    shown = repr(second[2:].rstrip(":"))
    with pytest.raises(SpecError) as err:
        load_questionnaire(_write(tmp_path, text))
    assert str(err.value) == (f"[file {tmp_path / 'q.yaml'}] duplicate key {shown} at line {line}, column {col2}, "
                              f"first at line {line}, column {col1}{twins}; YAML would keep only the last one "
                              "silently -- remove or rename one of them")


@pytest.mark.hostile("silent")
def test_a_merge_key_may_be_overridden_and_1_vs_quoted_1_is_still_q09(tmp_path):
    # YAML merges (<<) are meant to be overridden: not a duplicate
    assert load_yaml(b"base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n") == {
        "base": {"x": 1, "y": 2}, "other": {"x": 3, "y": 2}}
    # 1 and "1" are different YAML keys; the questionnaire's code check refuses them (Q09)
    text = SPEC_TEXT.replace("codes: {1: 男性, 2: 女性, 3: 回答しない}", "codes: {1: 男性, '1': 女性}")
    with pytest.raises(SpecError, match=r"key questions\[0\] \(sex\)\.codes\.1\] duplicate code 1; each code may "
                                        r"appear once"):
        load_questionnaire(_write(tmp_path, text))


@pytest.mark.hostile("silent")
def test_scores_for_1_and_quoted_1_are_a_duplicate_code(tmp_path):
    path = _edited(tmp_path, lambda s: _question(s, "satisfaction").update(
        scores={1: 1.0, "1": -1.0, 2: 0.5, 3: 0.0, 4: -0.5, 5: -1.0}))
    with pytest.raises(SpecError, match=r"\(satisfaction\)\.scores\.1\] duplicate code 1; each code may appear once"):
        load_questionnaire(path)


# --------------------------------------------------------- item 6: labels and headings


@pytest.mark.parametrize("codes, missing, code, message", [
    ({1: "男性", 2: "男性"}, None, 2, "codes 1 and 2 both have the label '男性'"),
    ({1: "男性", 2: "男性　"}, None, 2, "codes 1 and 2 both have the label '男性'"),           # a full-width space
    ({1: "ＡＢ", 2: "AB"}, None, 2, "codes 1 and 2 both have the label 'AB'"),               # NFKC twins
    ({1: "男性", 2: "無回答"}, {9: "無回答"}, 9, "codes 2 and 9 both have the label '無回答'"),  # answer, missing
])
@pytest.mark.hostile("silent")
def test_two_codes_with_one_label_are_refused(tmp_path, codes, missing, code, message):
    def edit(s):
        _question(s, "sex").update(codes=codes, **({"missing": missing} if missing else {}))
    with pytest.raises(SpecError) as err:
        load_questionnaire(_edited(tmp_path, edit))
    part = "missing" if missing and code in missing else "codes"
    assert str(err.value) == (f"[file {tmp_path / 'q.yaml'}, key questions[0] (sex).{part}.{code}] {message}; a "
                              "delivered label must name one answer: give each code its own label")


def test_missing_codes_may_share_a_label():
    spec = copy.deepcopy(SPEC)
    _question(spec, "sex")["missing"] = {9: "無回答", 99: "無回答"}
    assert dict(parse_questionnaire(spec)["sex"].missing) == {9: "無回答", 99: "無回答"}


@pytest.mark.parametrize("codes, code, label, number", [
    ({1: "2", 2: "1"}, 1, "2", 2),
    ({1: "男性", 2: "女性", 3: "１"}, 3, "１", 1),      # full-width digit: NFKC reads it as 1
    ({1: "男性", 2: "9"}, 2, "9", 9),                  # the number of the missing code 9
    ({1: "男性", 2: "1.0"}, 2, "1.0", 1),
])
@pytest.mark.hostile("silent")
def test_a_label_that_is_another_codes_number_is_refused(tmp_path, codes, code, label, number):
    with pytest.raises(SpecError) as err:
        load_questionnaire(_edited(tmp_path, lambda s: _question(s, "sex").update(codes=codes)))
    assert str(err.value) == (f"[file {tmp_path / 'q.yaml'}, key questions[0] (sex).codes.{code}] the label "
                              f"{label!r} of code {code} is the number of code {number}, so a delivered {number} "
                              f"could mean either; give code {code} a label in words")


def test_a_label_that_is_its_own_number_is_fine():
    spec = copy.deepcopy(SPEC)
    _question(spec, "children")["codes"] = {1: "1", 2: "2"}
    assert dict(parse_questionnaire(spec)["children"].codes) == {1: "1", 2: "2"}


@pytest.mark.hostile("silent")
def test_two_questions_may_not_share_a_heading(tmp_path):
    path = _edited(tmp_path, lambda s: _question(s, "age_band").update(header="問1 性別"))
    with pytest.raises(SpecError, match=r"key questions \(age_band\)\.header\] the heading '問1 性別' would match both "
                                        r"sex \(sex\) and age_band \(age_band\); every question needs its own "
                                        r"heading and id$"):
        load_questionnaire(path)


@pytest.mark.parametrize("header, shown", [
    ("問1　性別", "問1 性別"),     # a full-width space: the same heading after NFKC
    ("問1  性別 ", "問1 性別"),    # doubled and trailing spaces
    ("district", "district"),      # another question's id, which the intake also matches
])
@pytest.mark.hostile("silent")
def test_headings_that_collide_after_normalisation_are_refused(tmp_path, header, shown):
    path = _edited(tmp_path, lambda s: _question(s, "children").update(header=header))
    with pytest.raises(SpecError, match=rf"the heading '{shown}' would match both \w+ \(\w+\) and children "
                                        r"\(children\)"):
        load_questionnaire(path)


@pytest.mark.hostile("silent")
def test_an_allocation_part_heading_may_not_repeat_another_part(tmp_path):
    def edit(s):
        parts = _question(s, "allocation")["parts"]
        parts[1]["header"] = parts[0]["header"]
    with pytest.raises(SpecError, match=r"the heading '問9_1 雨水の浸透・貯留' would match both alloc_rain "
                                        r"\(allocation\) and alloc_cool \(allocation\)"):
        load_questionnaire(_edited(tmp_path, edit))


def test_text_key_matches_the_intakes_heading_normalisation():
    from survey.intake.values import clean_text

    for text in ["問1　性別", " 問9_1 雨水の浸透・貯留 ", "１８～２９歳", "ｱｻｶ\t市", "a~b〜c～d"]:
        assert text_key(text) == clean_text(text)


# ------------------------------------------------------------ item 14: alias bombs


HANG = 30.0          # seconds: a hang guard, not a speed target (see benchmarks/bench_bombs.py)
BILLION_LAUGHS = "".join(
    [f"lol0: &lol0 {'[' + ', '.join(['lol'] * 9) + ']'}\n"]
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 10)])


@pytest.mark.parametrize("target", ["id", "title", "questions"])
@pytest.mark.hostile("crash")
def test_a_billion_laughs_questionnaire_is_refused_in_well_under_a_second(tmp_path, target):
    # 9 levels of 9 aliases: 9**10 = 3.5 billion strings once expanded; PyYAML alone builds it in
    # milliseconds (shared objects) and the questionnaire's checks would then walk or print it for hours
    text = BILLION_LAUGHS + SPEC_TEXT.replace(f"\n{target}:", f"\n{target}: *lol9\nold_{target}:", 1)
    path = _write(tmp_path, text)
    start = time.perf_counter()
    with pytest.raises(SpecError, match=rf"\[file .*q\.yaml\] the YAML expands to more than {MAX_NODES:,} values "
                                        r"once its aliases \(\*name\) are filled in \(from line \d+, column \d+\): an "
                                        r"alias bomb or a broken file; write the repeated parts out$"):
        load_questionnaire(path)
    # refused by the node limit, not by running out of time: the guard only catches a hang (without
    # the limit the checks run for hours); the speed (~20 ms) is measured by benchmarks/bench_bombs.py
    assert time.perf_counter() - start < HANG


@pytest.mark.hostile("crash")
def test_too_many_aliases_and_recursive_aliases_are_refused():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(SpecError, match=rf"the YAML uses more than {MAX_ALIASES} aliases \(\*name; the "
                                        rf"{MAX_ALIASES + 1}th at line 2, column \d+\)"):
        load_yaml(many.encode(), path="q.yaml")
    with pytest.raises(SpecError, match=r"the list or mapping at line 1, column 4 holds an alias \(\*name\) of "
                                        r"itself \(a recursive structure\)"):
        load_yaml(b"a: &a [1, *a]\n", path="q.yaml")
    # a few aliases for shared codes stay fine
    assert load_yaml(b"c: &c {1: a, 2: b}\nq1: *c\nq2: *c\n") == {"c": {1: "a", 2: "b"}, "q1": {1: "a", 2: "b"},
                                                                    "q2": {1: "a", 2: "b"}}


@pytest.mark.hostile("crash")
def test_an_oversized_file_and_unreadable_values_are_refused(tmp_path):
    big = _write(tmp_path, SPEC_TEXT + "# padding\n" * (MAX_BYTES // 10))
    with pytest.raises(SpecError, match=rf"the questionnaire file has {big.stat().st_size:,} bytes, more than the "
                                        rf"{MAX_BYTES:,} a specification may have"):
        load_questionnaire(big)
    # a 5,000-digit number and an impossible date raised a bare ValueError (a traceback) before
    with pytest.raises(SpecError, match=r"a value cannot be read \(Exceeds the limit \(4300 digits\) for integer "
                                        r"string conversion\); fix it or put it in quotes"):
        load_questionnaire(_write(tmp_path, SPEC_TEXT.replace('version: "2025.1"', "version: " + "9" * 5000)))
    with pytest.raises(SpecError, match=r"a value cannot be read \(month must be in 1\.\.12\)"):
        load_questionnaire(_write(tmp_path, SPEC_TEXT.replace('version: "2025.1"', "version: 2025-13-01")))


@pytest.mark.hostile("silent")
def test_the_keyword_dictionary_is_read_as_strictly(tmp_path, questionnaire):
    from survey.measures.freetext.themes import load_keywords

    keywords = (ROOT / "questionnaires" / "midori_keywords.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, "question: comment\nquestion: policy\n" + keywords, "k.yaml")
    with pytest.raises(SpecError, match=r"duplicate key 'question' at line 2, column 1, first at line 1, column 1"):
        load_keywords(path, questionnaire)
    path = _write(tmp_path, BILLION_LAUGHS + keywords.replace("\nthemes:", "\nthemes: *lol9\nold:", 1), "k.yaml")
    with pytest.raises(SpecError, match=r"the YAML expands to more than"):
        load_keywords(path, questionnaire)
    (tmp_path / "sub").mkdir()
    _write(tmp_path, "x", "secret.csv")
    assert "userdict: asaka_userdict.csv" in keywords
    path = _write(tmp_path / "sub", keywords.replace("userdict: asaka_userdict.csv", "userdict: ../secret.csv"),
                  "k.yaml")
    with pytest.raises(SpecError, match=r"key userdict\] userdict '\.\./secret\.csv' lies outside the dictionary's "
                                        r"folder; give a file name in that folder"):
        load_keywords(path, questionnaire)


# ------------------------------------------------------ item 19: names used in paths


@pytest.mark.parametrize("wave, message", [
    ("../../etc", "wave '../../etc' cannot be a file or folder name: it holds '/'"),
    ("/tmp/x", "wave '/tmp/x' cannot be a file or folder name: it holds '/'"),
    ("FY2025\\..\\x", "wave 'FY2025\\\\..\\\\x' cannot be a file or folder name: it holds '\\\\'"),
    ("C:FY2025", "wave 'C:FY2025' cannot be a file or folder name: it holds ':'"),
    ("..", "wave '..' cannot be a file or folder name (no '..', no leading or trailing '.', no leading or trailing "
           "spaces)"),
    ("FY2025.", "wave 'FY2025.' cannot be a file or folder name (no '..'"),    # Windows writes it into FY2025
    (".hidden", "wave '.hidden' cannot be a file or folder name (no '..'"),
    (" FY2025", "wave ' FY2025' cannot be a file or folder name (no '..'"),
    ("FY\n2025", "wave 'FY\\n2025' cannot be a file or folder name: it holds '\\n'"),  # shown escaped
    ("NUL", "wave 'NUL' is a reserved device name on Windows"),
    ("", "wave is empty"),
    ("x" * 65, "wave has 65 characters, more than 64"),
    (2025, "wave must be text (e.g. FY2025; quote it if it looks like a number), got int 2025"),
    (["a"], "wave must be text (e.g. FY2025; quote it if it looks like a number), got list ['a']"),
    (None, "wave must be text (e.g. FY2025; quote it if it looks like a number), got NoneType None"),
])
@pytest.mark.hostile("output")
def test_a_wave_that_is_not_one_folder_name_is_refused(tmp_path, wave, message):
    with pytest.raises(SpecError) as err:
        load_questionnaire(_edited(tmp_path, lambda s: s.update(wave=wave)))
    assert str(err.value).startswith(f"[file {tmp_path / 'q.yaml'}, key wave] {message}")
    assert str(err.value).endswith("use letters, digits, '_' or '-' (e.g. FY2025)") or "must be text" in message


def test_japanese_wave_labels_and_ids_are_fine():
    assert check_path_name("令和7年度_第2回", what="wave") == "令和7年度_第2回"
    spec = copy.deepcopy(SPEC)
    spec.update(wave="令和7年度", id="みどり")
    q = parse_questionnaire(spec)
    assert (q.wave, q.id) == ("令和7年度", "みどり")


@pytest.mark.hostile("output")
def test_the_questionnaire_id_is_a_file_name_too(tmp_path):
    # the id names the keyword dictionary, <id>_keywords.yaml, beside the questionnaire
    with pytest.raises(SpecError, match=r"key id\] the questionnaire id '\.\./midori' cannot be a file or folder "
                                        r"name: it holds '/'; use letters, digits, '_' or '-' \(e\.g\. midori\)"):
        load_questionnaire(_edited(tmp_path, lambda s: s.update(id="../midori")))


@pytest.mark.parametrize("command", ["run", "simulate"])
@pytest.mark.hostile("output")
def test_wave_on_the_command_line_is_checked_before_anything_runs(tmp_path, capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--wave", "../escape", "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (f"survey {command}: error: オプションの値が正しくありません（--help を参照） / "
                                    "argument --wave: wave '../escape' cannot be a file or "
                                    "folder name: it holds '/'; use letters, digits, '_' or '-' (e.g. FY2025) "
                                    "(see --help)")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape").exists()


@pytest.mark.hostile("output")
def test_run_wave_checks_the_wave_of_the_api_too(tmp_path):
    from survey.pipeline.run import run_wave

    with pytest.raises(SpecError, match=r"wave 'a/b' cannot be a file or folder name: it holds '/'"):
        run_wave(QUESTIONNAIRE, SAMPLE, MARGINS, out=tmp_path, wave="a/b")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------- item 20: simulate never overwrites


@pytest.mark.hostile("output")
def test_simulate_never_overwrites_a_raw_delivery_without_force(tmp_path, capsys):
    from survey.simulate import run_simulate

    delivery = tmp_path / "raw" / "midori_2025_sample.csv"
    delivery.parent.mkdir()
    delivery.write_bytes(b"the contractor's file\n")
    assert main(["simulate", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"survey simulate: error: [file {delivery}] a raw delivery already exists there and is never "
                   "overwritten; pass --force (force=True) to replace it, or write to another folder with --out")
    assert delivery.read_bytes() == b"the contractor's file\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["midori_2025_sample.csv", "raw"]  # nothing else written
    with pytest.raises(SurveyError, match="never overwritten"):
        run_simulate(tmp_path)
    # --force rebuilds the bundled delivery byte for byte
    assert main(["simulate", "--out", str(tmp_path), "--force"]) == 0
    assert delivery.read_bytes() == SAMPLE.read_bytes()


# ------------------------------------------------------------------ item 7: margins


@pytest.fixture(scope="module")
def wave_data():
    import survey

    return survey.load(SAMPLE, load_questionnaire(QUESTIONNAIRE))


def _margins_file(tmp: Path, edit) -> Path:
    import pandas as pd

    path = tmp / "margins.csv"
    edit(pd.read_csv(MARGINS)).to_csv(path, index=False)
    return path


def _weight(wave_data, path):
    from survey.weighting import read_margins, weight_wave

    return weight_wave(wave_data, read_margins(path))


def _index(design) -> float:
    import survey

    q = load_questionnaire(QUESTIONNAIRE)
    return float(survey.satisfaction_index(design, "satisfaction", questionnaire=q).to_frame()["estimate"].iloc[0])


@pytest.mark.hostile("silent")
def test_a_district_left_out_of_the_margins_is_refused(tmp_path, wave_data):
    # before: 南部's 408 respondents became 不明 and the index moved from 0.2870 to 0.2927, exit 0
    n = int(wave_data.data["district"].eq(5).sum())
    assert n == 408
    path = _margins_file(tmp_path, lambda f: f[f["district"] != 5])
    with pytest.raises(SurveyError) as err:
        _weight(wave_data, path)
    assert str(err.value) == (f"[file {path}, column district] level(s) of district in the data have no population "
                              "count in the margins (5 (南部): 408 respondents); add their cells to the margins, or "
                              "list the codes under not_in_margins in the questionnaire if the population has no "
                              "such level (as 回答しない)")


@pytest.mark.hostile("silent")
def test_an_answer_without_population_counts_must_be_declared(tmp_path, wave_data):
    from dataclasses import replace

    from survey.weighting import read_margins, weight_wave

    q = wave_data.questionnaire
    assert q["sex"].not_in_margins == (3,)           # the bundled questionnaire declares 回答しない
    undeclared = replace(q, questions=tuple(replace(x, not_in_margins=()) if x.id == "sex" else x
                                            for x in q.questions))
    n = int(wave_data.data["sex"].eq(3).sum())
    with pytest.raises(SurveyError, match=rf"level\(s\) of sex in the data have no population count in the margins "
                                          rf"\(3 \(回答しない\): {n} respondents\)"):
        weight_wave(replace(wave_data, questionnaire=undeclared), read_margins(MARGINS))
    # declared (the bundled questionnaire, or the argument): 回答しない is weighted in 不明, as before
    a = weight_wave(wave_data, read_margins(MARGINS))
    b = weight_wave(replace(wave_data, questionnaire=undeclared), read_margins(MARGINS), not_in_margins={"sex": [3]})
    assert a.weights.to_numpy().tolist() == b.weights.to_numpy().tolist()   # the same computation
    assert _index(a) == pytest.approx(0.2870518113, abs=5e-10)              # the bundled report's index


@pytest.mark.hostile("silent")
def test_a_cell_listed_twice_is_refused(tmp_path, wave_data):
    import pandas as pd

    path = _margins_file(tmp_path, lambda f: pd.concat([f, f.iloc[[7]]], ignore_index=True))
    with pytest.raises(SurveyError) as err:
        _weight(wave_data, path)
    assert str(err.value) == (f"[file {path}, row 61] the cell age_band 4, sex 2, district 1 is listed in rows "
                              "[8, 61]; give one row per cell (add up its counts in one row)")


@pytest.mark.parametrize("edit, message", [
    # one cell of 1e9 residents: before, weights underflowed to 1e-312 and the SE was a NaN traceback
    (lambda f: f.assign(count=f["count"].where(f.index != 0, 1e9)),
     r"\[file .*margins\.csv, column age_band\] the margins cannot describe this sample: level 1 \(18〜29歳\) of "
     r"age_band holds 99\.8% of the population \(9\.97803e\+08\) but 9\.39% of the sample, level 5 \(60〜69歳\) "
     r"0\.00133% and 16\.1%: weights more than 1000 times apart; check the counts of the margins$"),
    (lambda f: f.assign(count=f["count"].where(f.index != 0, 0.001)),
     r"\[file .*margins\.csv, row 1, column count\] a population count of 0\.001 in a cell; counts are residents: 0 "
     r"for an empty cell or at least 1 \(not shares or thousands\)$"),
    # every count 0.001 (shares of thousands): before, raking stopped at once and the index was 0.325, exit 0
    (lambda f: f.assign(count=0.001), r"row 1, column count\] a population count of 0\.001 in a cell"),
    (lambda f: f.assign(count=f["count"] * 1e9),
     r"\[file .*margins\.csv, column count\] the population counts add up to 1\.2e\+14, more than the world's "
     r"population; give the residents of each cell$"),
    (lambda f: f.astype({"count": float}).assign(count=lambda g: g["count"].where(g.index != 0, 1e300)),
     r"add up to 1e\+300, more than the world's"),
])
@pytest.mark.hostile("crash")
def test_extreme_margins_give_a_clear_error(tmp_path, wave_data, edit, message):
    with pytest.raises(SurveyError, match=message):
        _weight(wave_data, _margins_file(tmp_path, edit))


def test_scaled_margins_are_not_extreme(tmp_path, wave_data):
    # raking only uses population shares: the margins times 1,000 (still residents) give the same index
    base = _index(_weight(wave_data, MARGINS))
    scaled = _index(_weight(wave_data, _margins_file(tmp_path, lambda f: f.assign(count=f["count"] * 1000))))
    assert scaled == pytest.approx(base, abs=1e-9)


@pytest.mark.hostile("crash")
def test_raked_weights_that_miss_the_population_are_refused():
    import numpy as np
    import pandas as pd
    from types import SimpleNamespace

    from survey.weighting.wave import _check_raked

    margins = pd.DataFrame({"count": [60.0, 40.0]})
    fine = SimpleNamespace(weights=np.array([50.0, 50.0]))
    assert _check_raked(fine, margins) is fine
    for weights, shown in (([np.nan, 50.0], "nan"), ([1e-312, 2e-312], "3e-312"), ([60.0, 60.0], "120")):
        with pytest.raises(SurveyError, match=rf"raking cannot reach the margins: the weights add up to {shown} "
                                              r"instead of the population 100; check the counts"):
            _check_raked(SimpleNamespace(weights=np.array(weights)), margins)


@pytest.mark.hostile("silent")
def test_not_in_margins_must_name_declared_codes_of_a_single_question(tmp_path):
    for bad in ([4], [3, 3], ["3"], 3.5):
        path = _edited(tmp_path, lambda s, b=bad: _question(s, "sex").update(not_in_margins=b))
        with pytest.raises(SpecError, match=r"key questions\[0\] \(sex\)\.not_in_margins\] not_in_margins lists "
                                            r"answer codes of a single question"):
            load_questionnaire(path)
    path = _edited(tmp_path, lambda s: _question(s, "satisfaction").update(not_in_margins=[6]))
    with pytest.raises(SpecError, match=r"\(satisfaction\)\.not_in_margins\] not_in_margins lists answer codes of a "
                                        r"single question"):
        load_questionnaire(path)
    assert parse_questionnaire(SPEC)["sex"].not_in_margins == (3,)


# ------------------------------------------------- item 5: the questionnaire's allocation rules


def _hundred_points(tmp: Path, **rules) -> tuple[Path, Path]:
    """The bundled questionnaire and delivery with the allocation in points of 100
    (every delivered amount divided by 10: they are all multiples of ¥10)."""
    import csv
    import io

    def edit(s):
        q = _question(s, "allocation")
        q.update(total=100, header="問9 100点の配分", text=q["text"].replace("1,000円", "100点"), **rules)
    spec_path = _edited(tmp, edit, "q100.yaml")
    rows = list(csv.reader(io.StringIO(SAMPLE.read_bytes().decode("cp932"))))
    parts = [i for i, h in enumerate(rows[0]) if h.startswith("問9_")]
    assert len(parts) == 10
    for row in rows[1:]:
        for i in parts:
            if i < len(row) and row[i] != "":
                assert int(row[i]) % 10 == 0
                row[i] = str(int(row[i]) // 10)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data_path = tmp / "points.csv"
    data_path.write_bytes(out.getvalue().encode("cp932"))
    return spec_path, data_path


@pytest.fixture(scope="module")
def bundled_allocation():
    """The bundled wave's allocation means at full precision (flag: the 3 rows off ¥1,000 kept)."""
    import survey
    from survey.weighting import read_margins, weight_wave

    q = load_questionnaire(QUESTIONNAIRE)
    design = weight_wave(survey.load(SAMPLE, q), read_margins(MARGINS))
    parts = list(q["allocation"].columns)
    return design, parts, survey.allocation_means(design, parts, **survey.allocation_policy(q["allocation"]))


@pytest.mark.hostile("silent")
def test_the_bundled_wave_is_analysed_as_its_questionnaire_says(bundled_allocation):
    import survey

    design, parts, means = bundled_allocation
    # total_policy: flag keeps the 3 answers off ¥1,000 (1050, 900, 950) that the intake kept;
    # before, the analyses rejected them (the estimators' default): 1,290 respondents instead of 1,293
    assert means.attrs["total_policy"] == {"rows": 1352, "valid": 1290, "missing": 59, "off_total": 3,
                                           "rejected": 0, "rescaled": 0, "flagged": 3}
    assert set(means["n"]) == {1293}
    before = survey.allocation_means(design, parts)
    assert set(before["n"]) == {1290}
    # the bundled report's means moved by at most ¥0.73 (alloc_rain 97.17 -> 96.88)
    diff = (means.set_index("part")["estimate"] - before.set_index("part")["estimate"]).abs()
    assert 0.2 < diff.max() < 0.73


@pytest.mark.hostile("silent")
def test_a_100_point_allocation_runs_end_to_end(tmp_path, capsys, bundled_allocation):
    import pandas as pd

    _, parts, means = bundled_allocation
    spec, data = _hundred_points(tmp_path)
    out = tmp_path / "out"
    assert main(["run", "--questionnaire", str(spec), "--data", str(data), "--margins", str(MARGINS),
                 "--admin", str(ROOT / "data" / "midori_admin.csv"), "--out", str(out), "--quiet"]) == 0
    # 配分_平均配分額: the mean points per function, overall and by group (one decimal: a thousandth of the total)
    table = pd.read_csv(out / "FY2025" / "配分_平均配分額.csv", encoding="utf-8-sig", index_col=0)
    labels = {it["column"]: it["label"] for it in _question(SPEC, "allocation")["parts"]}
    overall = means.set_index("part")["estimate"].rename(index=labels) / 10
    got = table.iloc[:, 0]
    assert list(got.index) == list(overall.index)
    assert (got - overall).abs().max() <= 0.05 + 1e-9          # rounded to 0.1 point: the same answers, scaled
    assert got.round(1).equals(got) and not got.round(0).equals(got)
    zero = pd.read_csv(out / "FY2025" / "配分_0円と回答した人の割合.csv", encoding="utf-8-sig")
    assert set(zero.iloc[:, -1]) == {1293}                     # the same respondents as at ¥1,000
    html = (out / "FY2025" / "report.html").read_text(encoding="utf-8")
    assert "100円の配分（みどりのチカラ）" in html and "1,000円の配分" not in html
    # validate: the same findings as the bundled delivery, measured against 100
    assert main(["validate", str(data), "--questionnaire", str(spec), "--format", "json"]) == 1
    import json

    report = json.loads(capsys.readouterr().out)
    totals = [f for f in report["failures"] if f["rule"] == "allocation_total"]
    # the bundled delivery's: rows 385, 544, 1302 add up to 1050, 900, 950 yen
    assert [(f["row"], f["value"]) for f in totals] == [(385, "105"), (544, "90"), (1302, "95")]
    assert totals[0]["message_ja"].startswith("「問9 100点の配分」の合計が105です（規定は100、許容差0）。")
    assert (report["errors"], report["warnings"]) == (3, 177)  # as for the ¥1,000 delivery


@pytest.mark.hostile("silent")
def test_the_estimators_defaults_are_not_the_questionnaires(tmp_path):
    import survey
    from survey.weighting import read_margins, weight_wave

    spec, data = _hundred_points(tmp_path, total_policy="reject", tolerance=10)
    q = load_questionnaire(spec)
    design = weight_wave(survey.load(data, q), read_margins(MARGINS))
    parts = list(q["allocation"].columns)
    # with the defaults (¥1,000, reject) no 100-point answer adds up: what the pipeline did before
    with pytest.raises(SurveyError, match=r"no respondent has a usable allocation under policy='reject'"):
        survey.allocation_means(design, parts)
    # the questionnaire's rules: the answers off by 5 or 10 points are within the tolerance (kept by
    # the intake) and counted, as valid
    policy = survey.allocation_policy(q["allocation"])
    assert policy == {"total": 100, "policy": "reject", "tolerance": 10}
    table = survey.allocation_means(design, parts, **policy)
    assert table.attrs["total_policy"]["valid"] == 1293 and set(table["n"]) == {1293}
    assert table["estimate"].sum() == pytest.approx(100, abs=0.02)   # three rows off by <= 10 of 1,293
    with pytest.raises(SurveyError, match=r"allocation_policy needs an allocation question; got 'sex' of type "
                                          r"'single'"):
        survey.allocation_policy(q["sex"])
