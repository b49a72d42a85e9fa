"""The contractor's standard checks: stable rule codes, severities, messages.

Every problem :func:`survey.intake.validate.validate_file` reports carries a
:class:`Rule` code.  The codes are part of the public interface (they appear
in JSON/CSV/XLSX outputs and scripts filter on them): never rename one, only
add new ones.

Severity policy
---------------
``error``
    The file cannot say what the paper form says: a value that is not a
    declared code, not a number or outside the possible range, a
    single-answer cell with several marks, a blank or repeated respondent
    ID, undecodable bytes or garbled text (mojibake), a row with fewer
    fields than the heading or a heading row inside the data, a workbook
    cell holding a date, an uncalculated formula or an error value, SPSS
    value labels that disagree with the questionnaire, a missing column,
    or a contradiction the questionnaire declares.  The data-entry team
    must check the form and correct the file.  Any error makes
    ``survey validate`` exit with 1.
``warning``
    Respondent behaviour that the questionnaire's cleaning policies handle
    (answers to skipped questions, over-limit multi-answers, allocation
    totals, ranking gaps and repeats), blanks, outliers, straight-lining,
    blank returns, extra columns, rows hidden in a workbook and phone
    numbers or e-mail addresses in free text.  Listed for review; exit
    code 0.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import pandas as pd

__all__ = ["RULES", "Rule", "RuleInfo", "Severity", "rule_catalogue"]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Rule(str, enum.Enum):
    """Stable codes of the validation rules (values never change)."""

    UNDECODABLE_BYTES = "undecodable_bytes"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    BLANK_RETURN = "blank_return"
    INVALID_CODE = "invalid_code"
    MULTIPLE_MARKS = "multiple_marks"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    NOT_INTEGER = "not_integer"
    OUTLIER = "outlier"
    ANSWERED_WHEN_SKIPPED = "answered_when_skipped"
    BLANK_WHEN_ASKED = "blank_when_asked"
    CONTRADICTION = "contradiction"
    MULTI_OVER_LIMIT = "multi_over_limit"
    ALLOCATION_TOTAL = "allocation_total"
    RANKING_DUPLICATE = "ranking_duplicate"
    RANKING_GAP = "ranking_gap"
    STRAIGHTLINING = "straightlining"
    REQUIRED_BLANK = "required_blank"
    PERSONAL_INFO = "personal_info"
    MOJIBAKE = "mojibake"
    SHORT_ROW = "short_row"
    HEADING_ROW = "heading_row"
    UNREADABLE_CELL = "unreadable_cell"
    VALUE_LABEL = "value_label"
    HIDDEN_ROW = "hidden_row"

    def __str__(self) -> str:  # "invalid_code", not "Rule.INVALID_CODE"
        return self.value


@dataclass(frozen=True)
class RuleInfo:
    """What a rule checks (contractor's term in Japanese), its severity and
    its message templates (``str.format`` fields filled per finding)."""

    category: str
    severity: Severity
    title_ja: str
    title_en: str
    message_ja: str
    message_en: str


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[Rule, RuleInfo] = {
    Rule.UNDECODABLE_BYTES: RuleInfo(
        "文字化け", _E, "読めないバイト列", "undecodable bytes",
        "ファイルの{line}行目に{encoding}として読めないバイト列（{bytes}）があります（読み取った値「{value}」）。"
        "UTF-8またはCP932（Shift_JIS）で保存し直して再納品してください。",
        "Line {line} of the file holds bytes ({bytes}) that are not valid {encoding} (read as '{value}'); "
        "re-save the file as UTF-8 or CP932 (Shift_JIS) and deliver it again.",
    ),
    Rule.MISSING_COLUMN: RuleInfo(
        "列の不足", _E, "調査票の列がない", "questionnaire column missing",
        "列「{header}」（{column_id}）がありません。調査票どおりの見出しで列を追加してください。",
        "Column '{header}' ({column_id}) is missing; add it with the heading the questionnaire gives.",
    ),
    Rule.UNKNOWN_COLUMN: RuleInfo(
        "不明な列", _W, "調査票にない列", "column not in the questionnaire",
        "列「{header}」は調査票にありません。見出しの誤記なら調査票に合わせ、不要なら削除してください。",
        "Column '{header}' is not in the questionnaire; correct the heading if it is a typo, "
        "otherwise delete the column.",
    ),
    Rule.MISSING_ID: RuleInfo(
        "ID欠落", _E, "回答者IDが空欄", "blank respondent ID",
        "回答者IDが空欄です。調査票に印字されたIDを入力してください（集計から除外されます）。",
        "The respondent ID is blank; enter the ID printed on the form (the row is excluded until then).",
    ),
    Rule.DUPLICATE_ID: RuleInfo(
        "ID重複", _E, "回答者IDの重複", "repeated respondent ID",
        "回答者ID「{value}」が複数の行（{rows_ja}）にあります。調査票を確認し、IDを訂正するか重複行を削除してください"
        "（このままでは集計に使うのは最初の行だけです）。",
        "Respondent ID '{value}' is on several rows ({rows_en}); check the forms and correct the ID or delete "
        "the repeated row (as it stands only the first row is analysed).",
    ),
    Rule.BLANK_RETURN: RuleInfo(
        "白票", _W, "全設問が無記入", "blank return",
        "全設問が無記入です（白票）。集計から除外します。入力漏れでないか調査票で確認してください。",
        "Every question is blank (a blank return); it is excluded from the analysis. "
        "Check the form in case the row was never keyed.",
    ),
    Rule.INVALID_CODE: RuleInfo(
        "非指定値", _E, "選択肢にない値", "value not a declared code",
        "「{header}」の値「{value}」は指定された値（{allowed}）にありません。調査票を確認して正しいコードを入力してください。",
        "'{value}' in '{header}' is not one of the declared codes ({allowed_en}); "
        "check the form and enter the right code.",
    ),
    Rule.MULTIPLE_MARKS: RuleInfo(
        "非指定値", _E, "単数回答に複数の記入", "several marks in a single-answer cell",
        "「{header}」は回答が1つの設問ですが「{value}」と複数入力されています。"
        "コードを1つだけ入力し、調査票で複数に○があれば無回答（{missing}）を入力してください。",
        "'{header}' takes one answer but holds '{value}'; key a single code, or the no-answer "
        "code {missing} when several are circled on the form.",
    ),
    Rule.NOT_A_NUMBER: RuleInfo(
        "異常値", _E, "数値でない", "not a number",
        "「{header}」の値「{value}」は数値として読めません。数字だけを入力してください。",
        "'{value}' in '{header}' is not a number; enter digits only.",
    ),
    Rule.OUT_OF_RANGE: RuleInfo(
        "異常値", _E, "ありえない値（範囲外）", "impossible value (out of range)",
        "「{header}」の値「{value}」はありえない値です（{range_ja}）。調査票を確認して訂正してください。",
        "'{value}' in '{header}' is impossible ({range_en}); check the form and correct it.",
    ),
    Rule.NOT_INTEGER: RuleInfo(
        "異常値", _E, "整数でない", "not a whole number",
        "「{header}」の値「{value}」は整数ではありません。調査票を確認して整数で入力してください。",
        "'{value}' in '{header}' is not a whole number; check the form and enter a whole number.",
    ),
    Rule.OUTLIER: RuleInfo(
        "異常値", _W, "外れ値", "outlier",
        "「{header}」の値「{value}」は外れ値です（{fence}、四分位範囲の{k}倍）。"
        "調査票の記入どおりならそのままで構いません。",
        "'{value}' in '{header}' is an outlier ({fence_en}, {k} × IQR beyond the quartiles); "
        "leave it if it is what the form says.",
    ),
    Rule.ANSWERED_WHEN_SKIPPED: RuleInfo(
        "非該当", _W, "非該当設問への回答", "answered although skipped",
        "「{header}」に回答「{value}」がありますが、{condition}の人だけが答える設問です。"
        "前の設問の入力を確認してください（正しければ集計では非該当として扱います）。",
        "'{header}' holds '{value}' but applies only when {condition_en}; check the entry of the "
        "filter question (otherwise the answer is treated as not applicable).",
    ),
    Rule.BLANK_WHEN_ASKED: RuleInfo(
        "非該当", _W, "該当者の回答漏れ", "blank although the skip logic asks it",
        "{condition}のため「{header}」は回答対象ですが空欄です。入力漏れでないか確認してください（{fix_ja}）。",
        "'{header}' applies (because {condition_en}) but is blank; check for a missed entry "
        "({fix_en}).",
    ),
    Rule.CONTRADICTION: RuleInfo(
        "論理矛盾", _E, "論理矛盾", "logical contradiction",
        "論理矛盾（{contradiction}）: {text_ja}",
        "Contradiction ({contradiction}): {text_en}",
    ),
    Rule.MULTI_OVER_LIMIT: RuleInfo(
        "制限超過", _W, "選択数の超過", "too many choices",
        "「{header}」は{limit}つまで選ぶ設問ですが{count}つ選ばれています（{value}）。{policy_ja}",
        "'{header}' allows {limit} choices but {count} are marked ({value}); {policy_en}",
    ),
    Rule.ALLOCATION_TOTAL: RuleInfo(
        "合計不一致", _W, "配分の合計が規定額でない", "allocation total off",
        "「{header}」の合計が{value}です（規定は{expected}、許容差{tolerance}）。入力誤りでないか確認してください。{policy_ja}",
        "The parts of '{header}' add up to {value}, not {expected} (tolerance {tolerance}); "
        "check the entries. {policy_en}",
    ),
    Rule.RANKING_DUPLICATE: RuleInfo(
        "順位の不備", _W, "同じ項目を複数の順位に記入", "same item ranked twice",
        "「{header}」の項目{value}は{first}にも記入されています。調査票を確認してください"
        "（正しければ集計では2回目を取り消します）。",
        "Item {value} in '{header}' is also ranked in '{first}'; check the form "
        "(otherwise the repeat is dropped).",
    ),
    Rule.RANKING_GAP: RuleInfo(
        "順位の不備", _W, "順位の抜け", "rank skipped",
        "「{header}」が空欄（または無回答）なのに{later}に記入があります。調査票を確認してください"
        "（正しければ集計では順位を繰り上げます）。",
        "'{header}' is blank (or no answer) although {later} is filled; check the form "
        "(otherwise the later ranks move up).",
    ),
    Rule.STRAIGHTLINING: RuleInfo(
        "ストレートライン", _W, "全項目が同じ回答", "straight-lining",
        "「{header}」の{items}項目すべてが同じ回答「{value}」です。調査票どおりなら修正は不要です。",
        "All {items} items of '{header}' have the same answer '{value}'; no change is needed if "
        "that is what the form says.",
    ),
    Rule.REQUIRED_BLANK: RuleInfo(
        "未記入", _W, "回答欄が空欄", "blank answer cell",
        "「{header}」が空欄です。入力漏れでないか確認してください（{fix_ja}）。",
        "'{header}' is blank; check for a missed entry ({fix_en}).",
    ),
    Rule.PERSONAL_INFO: RuleInfo(
        "個人情報", _W, "自由記述に個人情報", "personal data in free text",
        "「{header}」に{kind_ja}と思われる記載があります。公表資料に載せる前に伏せてください（データは変更しません）。",
        "'{header}' seems to contain {kind_en}; mask it before the text is published (the data are not changed).",
    ),
    Rule.MOJIBAKE: RuleInfo(
        "文字化け", _E, "文字化け（UTF-8をCP932として保存）", "garbled text (UTF-8 saved as CP932)",
        "「{header}」の値「{value}」は文字化けしています（UTF-8の文字をCP932として読み込んで保存したもの。"
        "本来は「{reads}」）。元のファイルから入力し直してください。{run_ja}",
        "'{value}' in '{header}' is garbled: UTF-8 text that was read as CP932 and saved again (it reads "
        "'{reads}'); key it again from the original. {run_en}",
    ),
    Rule.SHORT_ROW: RuleInfo(
        "行の崩れ", _E, "列の数が見出しより少ない行", "row with fewer fields than the heading",
        "ファイルの{line}行目は{fields}列しかありません（見出しは{expected}列）。引用符で囲まれていないセル内の改行で"
        "行が分かれたか、行が途中で切れています。該当する行を直してください。{run_ja}",
        "Line {line} of the file has {fields} of the heading's {expected} fields: a line break inside an unquoted "
        "cell split the row, or the row is cut short; repair the row. {run_en}",
    ),
    Rule.HEADING_ROW: RuleInfo(
        "行の崩れ", _E, "データ中の見出し行", "heading row inside the data",
        "この行は見出し（または列名・変数名）の行です（{same}個のセルが列の見出しや変数名）。ファイルをつなげた際"
        "などに混入した行を削除してください。{run_ja}",
        "This row repeats the heading (or the column ids, or variable names): {same} cells hold a heading or "
        "variable name, not an answer; delete the row (files pasted together, a two-line heading). {run_en}",
    ),
    Rule.UNREADABLE_CELL: RuleInfo(
        "読めないセル", _E, "数値として読めないセル", "cell whose number cannot be read",
        "セル{cell}（「{header}」）は{kind_ja}のため、表示どおりの値を読めません（読み取った値「{value}」）。"
        "{fix_ja}",
        "Cell {cell} ('{header}') holds {kind_en}, so the number it shows cannot be read (read as '{value}'); "
        "{fix_en}",
    ),
    Rule.VALUE_LABEL: RuleInfo(
        "値ラベル不一致", _E, "値ラベルが調査票と違う", "value label disagrees with the questionnaire",
        "変数{variable}（「{header}」）の値ラベルが調査票と違います: {detail_ja}。コードの振り方を調査票に合わせて"
        "ください。",
        "The value labels of variable {variable} ('{header}') disagree with the questionnaire: {detail_en}; "
        "recode the variable or fix its labels.",
    ),
    Rule.HIDDEN_ROW: RuleInfo(
        "非表示行", _W, "非表示の行", "hidden row",
        "この行はワークブックで非表示になっています（シート「{sheet}」の{sheet_row}行目）。集計には含めます。"
        "除くべき行なら削除して再納品してください。",
        "This row is hidden in the workbook (sheet '{sheet}', row {sheet_row}); it is analysed like any other. "
        "If it should not be, delete it and deliver the file again.",
    ),
}

if set(RULES) != set(Rule):  # pragma: no cover - a programming error, caught by any test import
    raise RuntimeError(f"rules without metadata: {sorted(set(Rule) - set(RULES))}")


def rule_catalogue() -> pd.DataFrame:
    """All rules with category, severity and titles (one row per rule).

    >>> rule_catalogue().set_index("rule").loc["invalid_code", "category"]
    '非指定値'
    """
    return pd.DataFrame(
        [(r.value, i.category, i.severity.value, i.title_ja, i.title_en) for r, i in RULES.items()],
        columns=["rule", "category", "severity", "title_ja", "title_en"],
    )
