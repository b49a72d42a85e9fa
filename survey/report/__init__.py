"""Report layer: formatting, tables, workbook, CSV, HTML, charts. No statistics here."""
from survey.report.charts import SATISFACTION_LEVELS, allocation_chart, index_chart, priority_heatmap, satisfaction_chart
from survey.report.freetext_section import cooccurrence_chart, freetext_section, freetext_sheet
from survey.report.format import fmt_count, fmt_percent, fmt_yen, neutralise_formula
from survey.report.html import Figure, Indicator, Methods, Section, Table, render_html, write_html
from survey.report.labels import CITY_LABEL, label_frame
from survey.report.verdicts import alpha_undefined_text, verdict_text, verdict_texts
from survey.report.writers import Sheet, write_csv, write_workbook

__all__ = [
    "fmt_count", "fmt_percent", "fmt_yen", "neutralise_formula", "Sheet", "write_csv", "write_workbook",
    "Figure", "Indicator", "Methods", "Section", "Table", "render_html", "write_html",
    "cooccurrence_chart", "freetext_section", "freetext_sheet",
    "SATISFACTION_LEVELS", "allocation_chart", "index_chart", "priority_heatmap", "satisfaction_chart",
    "alpha_undefined_text", "verdict_text", "verdict_texts", "CITY_LABEL", "label_frame",
]
