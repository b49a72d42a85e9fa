"""Report layer: formatting, tables, workbook, CSV, HTML. No statistics here."""
from survey.report.format import fmt_count, fmt_percent, fmt_yen, neutralise_formula
from survey.report.writers import Sheet, write_csv, write_workbook

__all__ = ["fmt_count", "fmt_percent", "fmt_yen", "neutralise_formula", "Sheet", "write_csv", "write_workbook"]
