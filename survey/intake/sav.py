"""What an SPSS ``.sav`` file says about its codes, checked against the questionnaire.

* **Value labels.** A file whose labels say 1 = 女性 where the questionnaire says
  1 = 男性 would be analysed with the sexes swapped.  Every labelled code of a
  questionnaire column is compared (after NFKC and whitespace cleaning): a
  different label, a label for a code the questionnaire does not have, or a
  code the file declares missing that the questionnaire has as an answer is a
  disagreement; normalisation refuses the file, validation lists each one.  A
  code missing in both (a questionnaire missing code the file declares
  user-missing) may be worded differently.
* **User-missing values** (SPSS ``MISSING VALUES``) are read as delivered and
  mapped to the questionnaire's missing code: kept when they are one, else
  recoded to the question's missing code (the ledger logs it, rule
  ``sav_user_missing``), blank when the question has none.  A question with
  several missing codes of different meaning cannot take a foreign one
  without a guess: refused.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import InputError
from survey.intake.values import HeaderMap, clean_text, parse_number
from survey.questionnaire import Questionnaire

__all__ = ["LabelDisagreement", "apply_user_missing", "label_disagreements", "refuse_label_disagreements"]


@dataclass(frozen=True)
class LabelDisagreement:
    """One labelled code of a ``.sav`` variable that the questionnaire reads otherwise."""

    variable: str       # the variable in the file
    column: str         # the questionnaire column it holds
    code: object        # the code
    file_label: str     # the file's label ("" for a declared missing value without a label)
    questionnaire_label: str | None  # None: the questionnaire has no such code

    def message(self) -> str:
        if self.questionnaire_label is None:
            return (f"variable {self.variable} ({self.column}) labels code {self.code} {self.file_label!r}, "
                    "a code the questionnaire does not have")
        if self.file_label == "":
            return (f"variable {self.variable} ({self.column}) declares {self.code} a missing value, but the "
                    f"questionnaire's code {self.code} is the answer {self.questionnaire_label!r}")
        return (f"variable {self.variable} ({self.column}) labels code {self.code} {self.file_label!r}, but the "
                f"questionnaire's code {self.code} is {self.questionnaire_label!r}")


def _question(questionnaire: Questionnaire, key: str):
    """The question of a tidy column or multi-answer slot key (``None``: the respondent id)."""
    try:
        return questionnaire[key.split("#slot")[0]] if "#slot" in key else questionnaire.question_of(key)
    except KeyError:
        return None


def _coded(questionnaire: Questionnaire, hmap: HeaderMap):
    """(variable, tidy column, question) for every coded questionnaire column present."""
    for key, variable in hmap.columns.items():
        q = _question(questionnaire, key)
        if q is not None and q.codes and q.type in ("single", "likert", "ranking", "multi"):
            yield variable, key, q


def label_disagreements(raw, hmap: HeaderMap, questionnaire: Questionnaire) -> list[LabelDisagreement]:
    """Every labelled code (and declared missing value) the questionnaire reads otherwise."""
    out = []
    for variable, key, q in _coded(questionnaire, hmap):
        if q.type == "multi" and "#slot" not in key:
            continue  # 0/1 dummies: their labels (選択/非選択) are not answer codes
        labels = raw.value_labels.get(variable, {})
        declared = set(_declared_missing(raw, variable))
        for code, label in sorted(labels.items(), key=lambda kv: str(kv[0])):
            number = parse_number(code) if not isinstance(code, (int, float)) else float(code)
            ours = None
            if number is not None and float(number).is_integer():
                number = int(number)
                if number in q.missing and number in declared:
                    continue  # missing in the file and in the questionnaire: its wording may differ (不明, 無回答)
                ours = q.codes.get(number, q.missing.get(number))
            if ours is None or clean_text(ours) != clean_text(label):
                out.append(LabelDisagreement(variable, key, code, str(label), ours))
        for value in sorted(declared):
            if value in q.codes:
                out.append(LabelDisagreement(variable, key, value, "", q.codes[value]))
    return out


def refuse_label_disagreements(raw, hmap: HeaderMap, questionnaire: Questionnaire) -> None:
    """D29: the file's value labels disagree with the questionnaire's codes."""
    found = label_disagreements(raw, hmap, questionnaire)
    if found:
        more = f" (and {len(found) - 1} more; `survey validate` lists them all)" if len(found) > 1 else ""
        raise InputError(f"the file's value labels disagree with the questionnaire: {found[0].message()}{more}; "
                         "recode the variable or fix the labels so that every code means what the questionnaire "
                         "says", path=raw.provenance.path)


def _declared_missing(raw, variable: str) -> list:
    """Whole-number user-missing values of a variable (single values and small ranges)."""
    out = []
    for low, high in raw.user_missing.get(variable, ()):
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and np.isfinite([low, high]).all():
            if float(low).is_integer() and float(high).is_integer() and high - low <= 100:
                out.extend(range(int(low), int(high) + 1))
    return out


def _is_user_missing(values: np.ndarray, numbers: np.ndarray, ranges) -> np.ndarray:
    hit = np.zeros(len(values), dtype=bool)
    for low, high in ranges:
        if isinstance(low, (int, float)) and isinstance(high, (int, float)):
            hit |= (numbers >= low) & (numbers <= high)
        else:
            hit |= np.array([v is not None and str(v) == str(low) for v in values], dtype=bool)
    return hit


def apply_user_missing(raw, hmap: HeaderMap, questionnaire: Questionnaire) -> tuple[pd.DataFrame, list]:
    """The frame with every user-missing value of a questionnaire column as the questionnaire's
    missing code, and the changes ``[(rows, column, before, after)]`` for the ledger."""
    if not raw.user_missing:
        return raw.frame, []
    frame = raw.frame
    changes = []
    for key, variable in hmap.columns.items():
        ranges = raw.user_missing.get(variable)
        if not ranges:
            continue
        q = _question(questionnaire, key)
        if q is None:
            continue
        cells = frame[variable].to_numpy(dtype=object)
        numbers = np.array([np.nan if v is None else _number(v) for v in cells], dtype=float)
        hit = _is_user_missing(cells, numbers, ranges)
        # a declared missing value that is already one of the question's missing codes stays
        blank = q.type in _BLANK_TYPES or (q.type == "multi" and "#slot" not in key)
        hit &= ~np.isin(numbers, [float(m) for m in q.missing]) | blank
        if not hit.any():
            continue
        after = None
        if not blank and q.missing:
            if len({clean_text(label) for label in q.missing.values()}) > 1:
                shown = ", ".join(f"{c} {label}" for c, label in q.missing.items())
                raise InputError(f"variable {variable} ({key}) declares {cells[hit][0]} a missing value; the "
                                 f"questionnaire has several missing codes ({shown}) and the file does not say which "
                                 "it means; recode the value to one of them", path=raw.provenance.path,
                                 column=variable)
            after = str(next(iter(q.missing)))
        if frame is raw.frame:
            frame = frame.copy()
        new = cells.copy()
        new[hit] = after
        frame[variable] = pd.Series(new, index=frame.index, dtype=object)
        changes.append((frame.index.to_numpy()[hit], key, cells[hit], after))
    return frame, changes


# answers without missing codes: a user-missing value there is a blank (no part, no text; for the
# 0/1 dummies of a multi-answer question, no mark)
_BLANK_TYPES = ("allocation", "text")


def _number(v) -> float:
    number = parse_number(v)
    return np.nan if number is None else number
