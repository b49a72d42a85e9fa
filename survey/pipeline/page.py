"""``report.html`` of a wave: the plan's sections, the headline and the methods."""
from __future__ import annotations

from survey.pipeline.base import attribute_name, html_table
from survey.report.crosstab import SMALL_BASE
from survey.report.html import Methods, write_html
from survey.report.prose import prose

__all__ = ["weighting_methods", "write_wave_html"]



def weighting_methods(questionnaire) -> str:
    """The weighting paragraph: the plan's ``weighting.methods``, else built from the raked attributes."""
    plan = questionnaire.plan
    if plan.weighting_methods:
        return plan.weighting_methods
    raked = [(attribute_name(questionnaire, r.question), len(questionnaire[r.question].codes)) for r in plan.rake]
    attributes = "・".join(prose("methods.raked_attribute", name=name, levels=k) for name, k in raked)
    return prose("methods.weighting_raked", attributes=attributes, names="・".join(name for name, _ in raked))


def write_wave_html(results: dict, path, *, questionnaire, provenance_lines, sampling_error, diagnostics_text,
                    links=()):
    """Write the page: ``results`` is ``{section id: SectionResult}`` of every section built;
    the page shows the plan's ``html`` sections in order, the headline of every section that
    has one, and the methods (the sections' sentences added to the variance paragraph);
    ``links``: ``(text, relative path)`` of files beside the page (目次.csv)."""
    plan = questionnaire.plan
    sections = [results[sid].html for sid in plan.html if results[sid].html is not None]
    built = [results[sid] for sid in plan.sections if sid in results]
    headline = [ind for r in built for ind in r.headline]
    variance = (prose("methods.variance") + "".join(sentence for r in built for sentence in r.methods)
                + prose("small_base.methods", threshold=SMALL_BASE))
    methods = Methods(weighting=[weighting_methods(questionnaire), diagnostics_text], variance=variance,
                      tables=[html_table(prose("methods.sampling_error_table"), sampling_error)])
    return write_html(sections, path, title=f"{questionnaire.title}（{questionnaire.wave}）",
                      provenance_lines=provenance_lines, methods=methods, headline=headline, links=links)
