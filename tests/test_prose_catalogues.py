"""Japanese sentences live in catalogues, not in code (issue 17 §3), and the catalogues and the code agree.

* No string literal of ``survey/**/*.py`` (docstrings and raw strings, the regular expressions,
  left out) is a Japanese sentence: one holding 。 or more than :data:`MAX_LABEL` Japanese
  characters.  Short labels (column names, level names, sheet names, units) may stay beside the
  tables that use them; everything longer goes to the catalogue of its layer (the intake's
  ``messages.yaml``, the measures' ``wording.yaml``, the report's ``templates/prose_ja.yaml`` and
  ``sections_ja.yaml``, the command's ``cli_ja.yaml``; survey/catalogue.py).
* Every key the code names exists, every ``{field}`` of its sentence is filled by the call and,
  for a key written out, every keyword of the call is a field (``str.format`` would drop a typo);
  every sentence of every catalogue is named by the code (no dead prose).
* A validation rule's messages are filled by ``Collector.add``: each call passes every field
  of its rule's templates (besides ``header``, ``column_id`` and ``value``, which ``add`` gives).

The code is read with :mod:`ast`; a key built from an f-string (``prose(f"sections.indicators.
reference_{kind}")``) or a conditional names every key it can match.
"""
from __future__ import annotations

import ast
import io
import re
import string
import tokenize
from pathlib import Path

from survey.catalogue import Catalogue
from survey.cli import CLI_TEXT
from survey.intake.messages import MESSAGES
from survey.measures.wording import WORDING
from survey.report.prose import PROSE

from helpers import string_literals

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "survey"

#: The most Japanese characters a label in code may have: the longest labels left are captions of
#: 23 (調査票の配布数 × 母集団構成比（セル別の記録なし）, よく使われた語（語を含む記述の割合、重み付け）).
MAX_LABEL = 25
#: Japanese text that stays in code: (file, the literal's beginning) -> why.
ALLOWED = {
    ("survey/intake/personal_data.py", "皆奥客孫嫁婿"): "a character set (kanji that are no name before 様), not prose",
    ("survey/simulate/comments.py", "連絡先 090-0000-"): "a simulated respondent's answer (a personal_info defect)",
    ("survey/simulate/comments.py", "ご返答は "): "a simulated respondent's answer (a personal_info defect)",
}
#: The catalogues and the names the code calls them by.
CATALOGUES: dict[str, Catalogue] = {
    "prose": PROSE, "PROSE": PROSE, "message": MESSAGES, "MESSAGES": MESSAGES, "wording": WORDING,
    "WORDING": WORDING, "CLI_TEXT": CLI_TEXT,
}
#: The fields Collector.add fills itself (survey/intake/findings.py).
ADD_FIELDS = {"header", "column_id", "value"}

_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _sources():
    for path in sorted(SURVEY.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _raw_starts(source: str) -> set[tuple[int, int]]:
    """(line, column) of every raw string token (r"..", rf"..": the regular expressions)."""
    out = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_START", -1):
            prefix = re.match(r"[A-Za-z]*", tok.string).group(0)
            if "r" in prefix.lower():
                out.add(tok.start)
    return out


def is_sentence(text: str) -> bool:
    """A Japanese sentence: it holds 。 or more than :data:`MAX_LABEL` Japanese characters."""
    return "。" in text or len(_JAPANESE.findall(text)) > MAX_LABEL


def sentences_in_code(sources=None) -> tuple[list[str], set]:
    """Japanese sentences found in code ("file:line: text") and the allow-list entries met;
    ``sources``: ``(path, text)`` pairs, by default every module of ``survey/``."""
    found, met = [], set()
    for rel, source in _sources() if sources is None else sources:
        raw = _raw_starts(source)
        for node, text in string_literals(ast.parse(source)):
            if (node.lineno, node.col_offset) in raw or not is_sentence(text):
                continue
            entry = next((key for key in ALLOWED if key[0] == rel and text.startswith(key[1])), None)
            if entry:
                met.add(entry)
            else:
                found.append(f"{rel}:{node.lineno}: {text[:60]!r}")
    return found, met


def test_no_japanese_sentence_is_left_in_code():
    found, met = sentences_in_code()
    assert found == [], ("Japanese sentences in code: move each to the catalogue of its layer "
                         "(survey/catalogue.py) and call it by its key:\n" + "\n".join(found))
    assert met == set(ALLOWED), f"allow-list entries no longer needed: {sorted(set(ALLOWED) - met)}"


def test_the_rule_finds_sentences_and_lets_labels_docstrings_and_patterns_pass():
    source = (
        '"""モジュールの説明です。"""\n'
        'import re\n'
        'LABEL = "重みによるデザイン効果（今回の調査、層内 Kish）"\n'
        'PATTERN = re.compile(r"(?<=[。！？])")\n'
        'ENGLISH = "unknown report format; use one of text, json (e.g. 無回答)"\n'
        'def f(n):\n'
        '    """関数の説明です。"""\n'
        '    return f"集計から{n}件を除外します。"\n'
        'REASON = "配分の回答がすべて0円（合計0円）で、配分の平均や割合を計算できない"\n'
    )
    found, met = sentences_in_code([("survey/example.py", source)])
    assert sorted(found) == ["survey/example.py:8: '集計から件を除外します。'",
                     "survey/example.py:9: '配分の回答がすべて0円（合計0円）で、配分の平均や割合を計算できない'"]
    assert met == set()
    assert is_sentence("x" * 30 + "あ" * 26) and not is_sentence("あ" * 25)


# ---------------------------------------------------------------------------------- keys and fields


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _key_patterns(node) -> list[str]:
    """The regular expressions of the keys a key argument can be: a literal, an f-string (a field
    matches one part of a dotted key) or a conditional of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [re.escape(node.value)]
    if isinstance(node, ast.JoinedStr):
        return ["".join(re.escape(v.value) if isinstance(v, ast.Constant) else "[^.]+" for v in node.values)]
    if isinstance(node, ast.IfExp):
        return _key_patterns(node.body) + _key_patterns(node.orelse)
    return []


def _catalogue_calls(sources=None):
    """(file:line, catalogue, key patterns, keyword names or None when a **mapping is passed,
    how: call | template | mapping) of every call of a catalogue the code makes."""
    for rel, source in _sources() if sources is None else sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func, how = node.func, "call"
            if isinstance(func, ast.Attribute) and func.attr in ("template", "mapping"):
                func, how = func.value, func.attr
            if not isinstance(func, ast.Name) or func.id not in CATALOGUES:
                continue
            patterns = _key_patterns(node.args[0])
            if not patterns:   # the catalogue's own wrapper: prose(key, **fields) -> PROSE(key, **fields)
                continue
            names = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            yield f"{rel}:{node.lineno}", CATALOGUES[func.id], patterns, names, how


def key_problems(sources=None) -> tuple[list[str], int]:
    """Keys the code names that no catalogue has, and calls whose keywords are not their
    sentence's fields; and the number of calls read."""
    problems, calls = [], 0
    for where, catalogue, patterns, names, how in _catalogue_calls(sources):
        calls += 1
        entries = catalogue.entries()
        for pattern in patterns:
            if how == "mapping":
                keys = [k for k in entries if re.fullmatch(pattern + r"\..+", k)]
            else:
                keys = [k for k in entries if re.fullmatch(pattern, k)]
            if not keys:
                shown = re.sub(r"\\(.)", r"\1", pattern.replace("[^.]+", "{…}"))
                problems.append(f"{where}: no sentence {shown!r} in {catalogue.name}")
            if how != "call" or names is None:
                continue
            for key in keys:
                fields = _fields(entries[key])
                # a literal key: the call gives exactly its fields; a key the code builds: every
                # variant's fields (one may leave out what another uses, policy.multi.flag the {limit})
                if fields - names or (len(keys) == 1 and len(patterns) == 1 and fields != names):
                    problems.append(f"{where}: {key} has fields {sorted(fields)}, the call gives {sorted(names)}")
    return problems, calls


def test_every_key_the_code_names_exists_and_its_fields_are_the_calls_keywords():
    problems, calls = key_problems()
    assert calls > 150
    assert problems == []


def test_a_missing_key_an_empty_field_and_an_extra_keyword_are_found():
    source = (
        'prose("sections.tally.note", weighted="（重み付け）")\n'
        'prose("sections.nothing")\n'
        'prose("sections.crosstabs.base", rule="")\n'
        'message(f"policy.multi.{over_limit}.ja", limit=3)\n'
        'message(f"policy.multi.{over_limit}.en")\n'
        'LABELS = PROSE.mapping("ledger")\n'
    )
    problems, calls = key_problems([("survey/example.py", source)])
    assert calls == 6
    assert problems == [
        "survey/example.py:1: sections.tally.note has fields ['unweighted', 'weighted'], the call gives ['weighted']",
        "survey/example.py:2: no sentence 'sections.nothing' in prose_ja.yaml, sections_ja.yaml",
        "survey/example.py:3: sections.crosstabs.base has fields [], the call gives ['rule']",
        "survey/example.py:5: policy.multi.keep_lowest.en has fields ['limit'], the call gives []",
    ]


def test_every_sentence_of_every_catalogue_is_named_by_the_code():
    named: dict[int, set] = {}
    for _, catalogue, patterns, _, how in _catalogue_calls():
        entries = catalogue.entries()
        for pattern in patterns:
            full = pattern + r"\..+" if how == "mapping" else pattern
            named.setdefault(id(catalogue), set()).update(k for k in entries if re.fullmatch(full, k))
    for catalogue in {id(c): c for c in CATALOGUES.values()}.values():
        dead = sorted(set(catalogue.entries()) - named.get(id(catalogue), set()))
        assert dead == [], f"sentences of {catalogue.name} no code names: {dead}"


def _resolved_keywords(call: ast.Call, function) -> set[str] | None:
    """The keyword names of ``call``, a ``**name`` resolved when ``name`` is assigned a dict
    display or a dict comprehension over a tuple of strings in the same function."""
    names = set()
    for keyword in call.keywords:
        if keyword.arg is not None:
            names.add(keyword.arg)
            continue
        if not isinstance(keyword.value, ast.Name):
            return None
        value = next((n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                      and any(isinstance(t, ast.Name) and t.id == keyword.value.id for t in n.targets)), None)
        if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
            names |= {k.value for k in value.keys}
        elif isinstance(value, ast.DictComp) and isinstance(value.generators[0].iter, ast.Tuple):
            names |= {e.value for e in value.generators[0].iter.elts}
        else:
            return None
    return names


def test_every_finding_fills_its_rules_messages():
    from survey.intake.rules import RULES, Rule

    problems, used = [], set()
    for rel, source in _sources():
        if not rel.startswith("survey/intake/"):
            continue
        tree = ast.parse(source)
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "add"
                        and call.args and isinstance(call.args[0], ast.Attribute)
                        and isinstance(call.args[0].value, ast.Name) and call.args[0].value.id == "Rule"):
                    continue
                rule = Rule[call.args[0].attr]
                used.add(rule)
                given = _resolved_keywords(call, function)
                assert given is not None, f"{rel}:{call.lineno}: cannot read the keywords of the call"
                given = (given - {"column"}) | ADD_FIELDS
                info = RULES[rule]
                for template in (info.message_ja, info.message_en):
                    missing = _fields(template) - given
                    if missing:
                        problems.append(f"{rel}:{call.lineno}: {rule.value} needs {sorted(missing)}")
    assert problems == []
    assert used == set(Rule), f"rules no check reports: {sorted(set(Rule) - used)}"
