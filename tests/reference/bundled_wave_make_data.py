"""Write the bundled wave as `survey run` weights it, for tests/reference/bundled_wave.R.

Run from the repository root:  PYTHONPATH=. python tests/reference/bundled_wave_make_data.py

data/raw/midori_2025_sample.csv read with questionnaires/midori_2025.yaml (survey.load) and
raked to data/midori_margins.csv (survey.weight_wave, no mailing file: equal base weights
N / n); the same as survey.examples.bundled_wave(), the design of the doctest examples.

Writes tests/reference/bundled_wave.csv: the base weight ``bw``, the raking columns
``rake_age_band, rake_sex, rake_district`` (level 0: not known or not in the margins) and the
answers the examples use; tests/reference/bundled_wave_margins.csv: ``variable, level, count``,
the population count of every raking level (the unknown level: the population total times
the unknowns' share of the sample), exactly the margins Design.rake was given.
"""
from pathlib import Path

import pandas as pd

import survey
from survey.weighting.wave import _declared, plan_margins, raking_margins

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COLUMNS = ["sex", "age_band", "district", "years_lived", "children", "satisfaction", "park_use"]


def main():
    q = survey.load_questionnaire(ROOT / "questionnaires" / "midori_2025.yaml")
    ds = survey.load(ROOT / "data" / "raw" / "midori_2025_sample.csv", q)
    margins = survey.read_margins(ROOT / "data" / "midori_margins.csv")
    plan = q.plan
    declared, labels = _declared(ds, plan.raked, None)
    prepared, rake = raking_margins(plan_margins(margins, plan.rake), ds.data, plan.raked,
                                    not_in_margins=declared, labels=labels)
    items = [c for name in ("importance", "allocation", "policy") for c in q[name].columns]
    out = prepared[COLUMNS + items].copy()
    out["bw"] = float(margins["count"].sum()) / len(prepared)
    for var in plan.raked:
        out[f"rake_{var}"] = prepared[f"_rake_{var}"].astype(int)
    out.to_csv(HERE / "bundled_wave.csv", index=False, float_format="%.17g")
    rows = [{"variable": key.removeprefix("_"), "level": int(level), "count": float(count)}
            for key, counts in rake.items() for level, count in counts.items()]
    pd.DataFrame(rows).to_csv(HERE / "bundled_wave_margins.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
