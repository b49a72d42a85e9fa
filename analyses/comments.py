"""Free-text answers (問12 自由意見) of a wave: themes, words, quotes (issue 10).

Run from the repository root:

    python analyses/comments.py
    python analyses/comments.py --data data/raw/midori_2025_sample.csv \\
        --keywords questionnaires/midori_keywords.yaml --out reports/comments

The wave is read, normalised and weighted as ``survey run`` does (equal base
weights raked to age band x sex x district).  Comments are masked for
personal data first (phone numbers, e-mail and postal addresses, street
addresses, names before 様/さん/氏); nothing below ever holds the original
text.  Files in ``--out/<wave>/`` (CSV: UTF-8 with BOM, opens in Excel):

* 自由記述_記入状況.csv -- who wrote a comment (weighted %, 95% CI), overall, by age and district
* 自由記述_テーマ.csv -- share of comments per theme (the ten functions, the twelve
  policy items, other topics), design-based with logit CIs, by group
* 自由記述_語.csv -- most frequent words (weighted share of comments), by group
* 自由記述_特徴語.csv -- characteristic words per group (weighted log-odds, z)
* 自由記述_共起.csv -- co-occurrence network edges (Jaccard)
* 自由記述_記述例.csv -- representative quotes per theme (masked)
* 自由記述_マスク.csv -- how many answers held each kind of personal data
* 自由記述.xlsx, 自由記述.html -- the sheet and the report section, for checking the
  quotes before the report is published
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

import survey
from survey.report import Methods, freetext_section, freetext_sheet, label_frame, write_html, write_workbook


def _write(frame: pd.DataFrame, out: Path, name: str) -> None:
    path = out / name
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    print(f"  {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="free-text answers: themes, words and quotes")
    parser.add_argument("--questionnaire", type=Path, default=ROOT / "questionnaires" / "midori_2025.yaml")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "raw" / "midori_2025_sample.csv")
    parser.add_argument("--margins", type=Path, default=ROOT / "data" / "midori_margins.csv")
    parser.add_argument("--keywords", type=Path, default=None,
                        help="theme dictionary (default: <questionnaire folder>/<id>_keywords.yaml)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "comments")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no wave file {args.data}; simulate it with `survey simulate` or pass --data", file=sys.stderr)
        return 2

    q = survey.load_questionnaire(args.questionnaire)
    dataset = survey.load(args.data, q)
    design = survey.weight_wave(dataset, survey.read_margins(args.margins))
    # the groups by name (the estimator returns their codes)
    tables = label_frame(survey.analyse_freetext(design, questionnaire=q, keywords=args.keywords,
                                                 by=("age_band", "district")), q)
    out = args.out / (q.wave or "wave")
    out.mkdir(parents=True, exist_ok=True)
    n = tables.notes
    print(f"{args.data.name}: {n['respondents']} respondents, {n['comments']} comments, "
          f"{n['masked_answers']} masked for personal data -> {out}")

    _write(tables.summary, out, "自由記述_記入状況.csv")
    _write(tables.themes, out, "自由記述_テーマ.csv")
    _write(tables.words, out, "自由記述_語.csv")
    _write(tables.characteristic, out, "自由記述_特徴語.csv")
    _write(tables.edges, out, "自由記述_共起.csv")
    _write(tables.quotes, out, "自由記述_記述例.csv")
    _write(tables.masked, out, "自由記述_マスク.csv")
    sheet = freetext_sheet(tables, municipality=q.municipality)
    print(f"  {write_workbook([sheet], out / '自由記述.xlsx', properties={'title': q.title})}")
    methods = Methods(weighting=q.fielding.get("weighting", ""), variance="線形化法（R survey の svyciprop と同じ）")
    section = freetext_section(tables, municipality=q.municipality)
    page = write_html([section], out / "自由記述.html", title=f"{q.title} 自由記述",
                      provenance_lines=[f"入力ファイル: {args.data.name}  sha256: {dataset.provenance.sha256}"],
                      methods=methods)
    print(f"  {page}")

    top = tables.themes[tables.themes["by"] == "全体"].nlargest(5, "estimate")
    for row in top.itertuples(index=False):
        print(f"  {row.label}: {100 * row.estimate:.1f}% ({100 * row.ci_low:.1f}–{100 * row.ci_high:.1f}) "
              f"of comments, {row.mentions} mentions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
