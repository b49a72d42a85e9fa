"""``report.html`` of a wave: the plan's sections, the headline and the methods."""
from __future__ import annotations

from survey.pipeline.base import attribute_name, html_table
from survey.report.html import Methods, write_html

__all__ = ["METHODS_VARIANCE", "weighting_methods", "write_wave_html"]

METHODS_VARIANCE = (
    "標準誤差は線形化（テイラー展開）法による設計ベースの推定量で、レイキングによる較正を考慮する"
    "（較正変数への回帰残差を用いる。R survey の svymean と同じ数値）。割合の信頼区間はロジット法（svyciprop）、"
    "グループ間の差は設計ベースのWald検定で、多重比較は Holm 法で調整した。"
)


def weighting_methods(questionnaire) -> str:
    """The weighting paragraph: the plan's ``weighting.methods``, else built from the raked attributes."""
    plan = questionnaire.plan
    if plan.weighting_methods:
        return plan.weighting_methods
    raked = [(attribute_name(questionnaire, r.question), len(questionnaire[r.question].codes)) for r in plan.rake]
    names = "・".join(name for name, _ in raked)
    return ("回答者には、" + "・".join(f"{name}（{k}区分）" for name, k in raked)
            + "の母集団人口に合うよう、レイキング（反復比例調整、Deville & Särndal 1992; R survey の rake() と同じ）で"
            f"重みを付けた。{names}が無回答の回答者は、その変数の「不明」区分として扱い、標本中の割合に応じた母集団数を割り当てた。")


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
    variance = METHODS_VARIANCE + "".join(sentence for r in built for sentence in r.methods)
    methods = Methods(weighting=[weighting_methods(questionnaire), diagnostics_text], variance=variance,
                      tables=[html_table("標本誤差早見表（±ポイント、この調査のデザイン効果を適用）", sampling_error)])
    return write_html(sections, path, title=f"{questionnaire.title}（{questionnaire.wave}）",
                      provenance_lines=provenance_lines, methods=methods, headline=headline, links=links)
