"""The free-text section (kind ``freetext``): the comments, coded and counted.

Compute: :func:`survey.measures.analyse_freetext` with the keyword
dictionary (``keywords``, default ``<questionnaire id>_keywords.yaml``
beside the questionnaire) by the ``by`` attributes; present: the 自由記述
sheet and section of :mod:`survey.report.freetext_section`.  Without the
default dictionary (a copy of the questionnaire elsewhere) the section says
that it cannot be estimated; a dictionary the plan names must exist.
"""
from __future__ import annotations

from pathlib import Path

from survey.errors import DesignError
from survey.measures.freetext.analyse import analyse_freetext, answer_tokens, default_keywords_path
from survey.pipeline.base import SectionResult, SectionUnavailable
from survey.report.freetext_cells import suppress_freetext
from survey.report.freetext_section import freetext_section, freetext_sheet, theme_long
from survey.report.labels import label_frame
from survey.report.prose import prose

__all__ = ["analysis", "build", "comments", "keywords_path"]


def keywords_path(spec, questionnaire) -> Path:
    """The section's keyword dictionary: ``keywords`` relative to the questionnaire, else the default."""
    name = spec.get("keywords")
    if name is None:
        return default_keywords_path(questionnaire)
    return Path(questionnaire.path or ".").parent / name


def analysis(spec, ctx):
    """The comments' content words (:func:`~survey.measures.freetext.analyse.answer_tokens`,
    janome): the section's heavy part, which the run's second process does in advance
    (:data:`survey.pipeline.sections.ANALYSES`); the estimates on them are made here
    (:func:`comments`), where the run's main process has the time for them (issue 18)."""
    return answer_tokens(ctx.design, questionnaire=ctx.questionnaire, keywords=keywords_path(spec, ctx.questionnaire),
                         column=spec.question)


def comments(spec, ctx, tokens=None):
    """The comments analysed (:func:`survey.measures.analyse_freetext`) on their content words."""
    return analyse_freetext(ctx.design, questionnaire=ctx.questionnaire, keywords=keywords_path(spec, ctx.questionnaire),
                            column=spec.question, by=spec.by, ledger=ctx.dataset.ledger,
                            min_comments=ctx.small_cells.min_count, tokens=tokens)


def build(spec, ctx) -> SectionResult:
    keywords = keywords_path(spec, ctx.questionnaire)
    if spec.get("keywords") is None and not keywords.is_file():
        raise SectionUnavailable(prose("sections.freetext.no_dictionary", file=keywords.name),
                                 title=spec.get("title", f"自由記述（{ctx.questionnaire[spec.question].header}）"))
    title = spec.get("title", f"自由記述（{ctx.questionnaire[spec.question].header}）")
    # the text was masked at intake (survey run): the ledger holds the one count of masked answers;
    # words follow the report's small-cell rule: one used by fewer than --min-cell comments of a
    # group is not listed (内間木 showed the words of its 3 comments)
    try:
        tables = comments(spec, ctx, ctx.analysed(spec, analysis))
    except DesignError as exc:
        if not str(exc).startswith("no comments"):
            raise
        raise SectionUnavailable(prose("sections.freetext.no_comments"), title=title) from None
    # theme shares and the writers of each group are cells of the run's small-cell rule
    tables = suppress_freetext(label_frame(tables, ctx.questionnaire), ctx.small_cells, question=spec.question)
    municipality = ctx.questionnaire.municipality
    sheet = freetext_sheet(tables, municipality=municipality)
    html = freetext_section(tables, municipality=municipality)
    if html.id != spec.id:
        html = type(html)(spec.id, html.title, intro=html.intro, figures=html.figures, tables=html.tables,
                          notes=html.notes)
    return SectionResult(title=spec.get("title", sheet.title), blocks=tuple(sheet.blocks), html=html,
                         notes=tuple(sheet.notes), opendata=(("テーマ別の記述の割合", theme_long(tables)),))
