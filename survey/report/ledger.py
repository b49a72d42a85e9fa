"""The row ledger for planners: 行の記録, 除外行 and 修正セル in Japanese.

The ledger (:class:`survey.intake.ledger.Ledger`) keeps English codes
(``duplicate_respondent_id``, ``invalid_code_cleared``) that scripts match
on; the report shows each with its Japanese meaning first and the code in
brackets, and Japanese column names followed by the English ones
(``データ行 (row)``).  Respondent ids never appear: the data row (1 = the
first row under the heading) identifies a row in the delivered file.
"""
from __future__ import annotations

import pandas as pd

from survey.report.prose import PROSE

__all__ = ["LEDGER_LABELS", "changed_cells_table", "exclusions_table", "ledger_label", "summary_table"]

#: Japanese meaning of every count, exclusion reason, cleaning rule and note of the ledger
#: (``ledger.*`` of the prose catalogue, read when first used).
LEDGER_LABELS = PROSE.mapping("ledger")
_KINDS = {"excluded": "除外", "changed": "修正", "kept, noted": "注記"}


def ledger_label(code: str) -> str:
    """``'回答者IDの重複（2件目以降を除外） (duplicate_respondent_id)'``; an unknown code as it is."""
    code = str(code)
    return f"{LEDGER_LABELS[code]} ({code})" if code in LEDGER_LABELS else code


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Ledger.summary` in Japanese: 項目 (item), 件数 (count)."""
    items = []
    for item in summary["item"]:
        kind, sep, code = str(item).partition(": ")
        if sep and kind in _KINDS:
            label = LEDGER_LABELS.get(code, code)
            items.append(f"{_KINDS[kind]}：{label} ({item})")
        else:
            items.append(ledger_label(item))
    return pd.DataFrame({"項目 (item)": items, "件数 (count)": summary["count"].to_numpy()})


def exclusions_table(exclusions: pd.DataFrame) -> pd.DataFrame:
    """The rows left out, without respondent ids: データ行 (row), 理由 (reason)."""
    return pd.DataFrame({"データ行 (row)": exclusions["row"].to_numpy(),
                         "理由 (reason)": [ledger_label(r) for r in exclusions["reason"]]})


def changed_cells_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The changed cells, without respondent ids: データ行 (row), 列 (column),
    変更前 (before), 変更後 (after), 規則 (rule)."""
    return pd.DataFrame({"データ行 (row)": changes["row"].to_numpy(), "列 (column)": changes["column"].to_numpy(),
                         "変更前 (before)": changes["before"].to_numpy(), "変更後 (after)": changes["after"].to_numpy(),
                         "規則 (rule)": [ledger_label(r) for r in changes["rule"]]})
