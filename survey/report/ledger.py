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

__all__ = ["LEDGER_LABELS", "changed_cells_table", "exclusions_table", "ledger_label", "summary_table"]

#: Japanese meaning of every count, exclusion reason, cleaning rule and note of the ledger.
LEDGER_LABELS = {
    "rows_read": "読み込んだ行",
    "rows_kept": "集計に使う行",
    "rows_excluded": "除外した行",
    # exclusions
    "duplicate_respondent_id": "回答者IDの重複（2件目以降を除外）",
    "missing_respondent_id": "回答者IDがない",
    "blank_return": "全設問が無回答（白票）",
    "undecodable_bytes": "文字コードとして読めないバイトを含む",
    "mojibake": "文字化け（UTF-8 を CP932 として保存）",
    "short_row": "列が足りない行（改行や途中で切れた行）",
    "heading_row": "データの途中にある見出し行",
    # changed cells
    "invalid_code_cleared": "調査票にない回答を無回答にした",
    "invalid_mark_cleared": "複数回答の読めない印を「選ばない」にした",
    "invalid_number_cleared": "数値として読めない・範囲外の値を無回答にした",
    "multi_over_limit_keep_lowest": "選べる数を超えた複数回答：番号の小さい選択肢を残した",
    "multi_over_limit_drop": "選べる数を超えた複数回答：設問を無回答にした",
    "answered_although_skipped": "答えない設問（非該当）への回答を無回答にした",
    "personal_data_masked": "個人情報を記号に置き換えた",
    "allocation_blank_as_zero": "配分の空欄を0にした（他の欄に記入あり）",
    "allocation_total_reject": "配分の合計が違うため設問を無回答にした",
    "allocation_total_rescale": "配分の合計が違うため合計に合わせて按分した",
    "allocation_invalid": "配分に読めない値・負の値があるため設問を無回答にした",
    "ranking_duplicate_item": "上の順位と同じ項目を無回答にした",
    "ranking_gap_compacted": "空いた順位を詰めた",
    "sav_user_missing": "SPSS のユーザー欠損値を調査票の無回答コードにした",
    # notes on kept rows
    "hidden_row": "ワークブックで非表示の行（集計に含む）",
}
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
