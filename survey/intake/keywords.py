"""The keyword dictionary of a free-text question: read, checked, frozen.

The dictionary is a YAML file kept next to the questionnaire
(``questionnaires/midori_keywords.yaml``): the themes (the ten functions of
green, the twelve policy items, a few recurring topics), each with its
keywords and ``exclude`` phrases, the report's theme groups, the
``no_opinion`` phrases and the tokeniser's user dictionary. Coding comments
with it is :mod:`survey.measures.freetext.themes`.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from survey.errors import SpecError
from survey.spec_loader import load_yaml

__all__ = ["PUNCT", "Theme", "ThemeDictionary", "load_keywords", "norm"]

#: Punctuation and spaces, left out when an answer is compared with the ``no_opinion`` phrases.
PUNCT = re.compile(r"[\s、。，．,.!！?？・…〜~ー－\-「」『』（）()]+")


def norm(text: str) -> str:
    """``text`` as the dictionary compares it: NFKC, lower case."""
    return unicodedata.normalize("NFKC", str(text)).lower()


@dataclass(frozen=True)
class Theme:
    """One theme: ``id``, ``group`` (function / policy / topic), Japanese
    ``label``, ``keywords`` and ``exclude`` phrases (both normalised)."""

    id: str
    group: str
    label: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def hits(self, text: str) -> int:
        """Number of distinct keywords found in ``text`` (already normalised)."""
        for phrase in self.exclude:
            text = text.replace(phrase, "　")
        return sum(1 for k in self.keywords if k in text)


@dataclass(frozen=True)
class ThemeDictionary:
    """A keyword dictionary (see :func:`load_keywords`)."""

    id: str
    version: str
    question: str
    themes: tuple[Theme, ...]
    no_opinion: tuple[str, ...]
    userdict: Path | None = None
    path: str | None = None
    sha256: str | None = None
    #: ``{group id: name in the report}`` in report order (the dictionary's ``groups:``).
    groups: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, theme_id: str) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(f"no theme {theme_id!r}; known: {', '.join(t.id for t in self.themes)}")


def _labels(questionnaire, spec, key, path, code_question=None) -> str:
    if "label" in spec:
        return str(spec["label"])
    if questionnaire is None:
        raise SpecError("a theme without `label` needs the questionnaire to look its label up; "
                        "pass questionnaire= or add `label:`", path=path, key=key)
    if "column" in spec:
        col = spec["column"]
        for q in questionnaire.questions:
            for item in q.items:
                if item.column == col:
                    return item.label
        raise SpecError(f"column {col!r} is no item of the questionnaire {questionnaire.id}; "
                        "use an item column such as imp_rain", path=path, key=key)
    if "code" in spec:
        question = spec.get("question", code_question)
        if question is None:
            raise SpecError("a theme with `code` needs the question whose code it is: add `code_question: <id>` "
                            "at the top of the dictionary or `question:` to the theme", path=path, key=key)
        if question not in questionnaire or spec["code"] not in questionnaire[question].codes:
            raise SpecError(f"code {spec['code']!r} is not a code of question {question!r}; "
                            "check the questionnaire's codes", path=path, key=key)
        return questionnaire[question].codes[spec["code"]]
    raise SpecError("a theme needs `label`, `column` (a questionnaire item) or `code` (a code of `code_question`)",
                    path=path, key=key)


def _groups(spec, path) -> dict:
    """The dictionary's ``groups:`` (``{id: name}``, in report order), or {} when it has none."""
    raw = spec.get("groups")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                       for k, v in raw.items()):
        raise SpecError("groups must map each theme group's id to its name in the report, e.g. "
                        "{function: みどりのチカラ}", path=path, key="groups")
    return dict(raw)


def load_keywords(path, questionnaire=None) -> ThemeDictionary:
    """Read and check a theme keyword dictionary (YAML, safe loader).

    Themes with ``column`` (an item of 問8/問9) or ``code`` (a code of the
    dictionary's ``code_question``, or of the theme's ``question:``) take their label from the
    questionnaire; ``label`` overrides.  ``userdict`` is resolved relative to
    the YAML file.  Errors name the file and key and say how to fix them.
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the keyword dictionary: {exc.strerror}; check the path", path=path) from None
    spec = load_yaml(blob, path=path, what="keyword dictionary")  # duplicate keys, alias bombs: refused
    if not isinstance(spec, dict) or not isinstance(spec.get("themes"), list) or not spec["themes"]:
        raise SpecError("expected a mapping with a non-empty `themes:` list", path=path, key="themes")
    groups = _groups(spec, path)
    themes, seen = [], set()
    for i, t in enumerate(spec["themes"]):
        key = f"themes[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("id"), str):
            raise SpecError("each theme is a mapping with an `id`", path=path, key=key)
        key = f"themes[{i}] ({t['id']})"
        if t["id"] in seen:
            raise SpecError(f"theme id {t['id']!r} is used twice; ids must be unique", path=path, key=key)
        seen.add(t["id"])
        if not isinstance(t.get("group"), str) or (groups and t["group"] not in groups):
            raise SpecError(f"group must be one of the dictionary's groups {list(groups)}; got {t.get('group')!r}",
                            path=path, key=key)
        words = t.get("keywords")
        if not isinstance(words, list) or not words or not all(isinstance(w, (str, int)) and str(w).strip() for w in words):
            raise SpecError("keywords must be a non-empty list of words", path=path, key=key)
        exclude = t.get("exclude", []) or []
        themes.append(Theme(id=t["id"], group=t["group"], label=_labels(questionnaire, t, key, path,
                                                                         spec.get("code_question")),
                            keywords=tuple(dict.fromkeys(norm(w).strip() for w in words)),
                            exclude=tuple(norm(w) for w in exclude)))
    if not groups:   # no groups: block: the groups in the order they first appear, named by their ids
        groups = {th.group: th.group for th in themes}
    themes.sort(key=lambda th: list(groups).index(th.group))   # stable: file order within a group
    userdict = spec.get("userdict")
    if userdict is not None:
        folder = path.parent.resolve()
        userdict = (folder / str(userdict)).resolve()
        if not userdict.is_relative_to(folder):
            raise SpecError(f"userdict {spec['userdict']!r} lies outside the dictionary's folder; give a file name "
                            "in that folder", path=path, key="userdict")
        if not userdict.is_file():
            raise SpecError(f"userdict {userdict} does not exist; fix the file name", path=path, key="userdict")
    if not isinstance(spec.get("question"), str):
        raise SpecError("the dictionary needs `question:`, the id of the free-text question it codes",
                        path=path, key="question")
    question = spec["question"]
    if questionnaire is not None and question not in questionnaire:
        raise SpecError(f"question {question!r} is not in questionnaire {questionnaire.id}", path=path, key="question")
    return ThemeDictionary(
        id=str(spec.get("id", path.stem)), version=str(spec.get("version", "")), question=question,
        themes=tuple(themes), no_opinion=tuple(PUNCT.sub("", norm(w)) for w in spec.get("no_opinion", []) or []),
        userdict=userdict, path=str(path), sha256=hashlib.sha256(blob).hexdigest(), groups=MappingProxyType(groups))
