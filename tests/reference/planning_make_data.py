"""Write the synthetic test data of tests/test_planning.py (deterministic).

    python tests/reference/planning_make_data.py

* ``planning_cells.csv``: 3 districts x 3 age bands, population ``count``
  and questionnaires ``mailed`` per cell;
* ``planning_respondents.csv``: one row per respondent: ``district,
  age_band, sex, satisfaction`` (codes 1-5 scored, 6 わからない, 9 無回答)
  and a weight ``wt`` (base weight N_h / m_h times a sex factor, standing in
  for raking).  Cell (1, 1) gets a single respondent, cell (1, 2) none, to
  exercise the smoothing.

numpy seed 20251101.  The R script planning_reference.R reads both files.
"""
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def main():
    rng = np.random.Generator(np.random.PCG64(20251101))
    rows, cells = [], []
    pop = {1: [300, 250, 400], 2: [4000, 3500, 4500], 3: [5000, 4200, 3900]}
    mailed = {1: [6, 5, 12], 2: [90, 70, 110], 3: [100, 90, 80]}
    rate_age = [0.3, 0.45, 0.6]
    rate_district = [1.1, 1.0, 0.9]
    level_p = np.array([[0.15, 0.25, 0.25, 0.15, 0.10, 0.07, 0.03],
                        [0.20, 0.30, 0.22, 0.12, 0.08, 0.05, 0.03],
                        [0.30, 0.30, 0.18, 0.08, 0.06, 0.05, 0.03]])
    codes = np.array([1, 2, 3, 4, 5, 6, 9])
    for d in (1, 2, 3):
        for a in (1, 2, 3):
            N, m = pop[d][a - 1], mailed[d][a - 1]
            cells.append({"district": d, "age_band": a, "count": N, "mailed": m})
            n = int(rng.binomial(m, rate_age[a - 1] * rate_district[d - 1]))
            if (d, a) == (1, 1):
                n = 1
            if (d, a) == (1, 2):
                n = 0
            for _ in range(n):
                sex = int(rng.integers(1, 3))
                rows.append({"district": d, "age_band": a, "sex": sex,
                             "satisfaction": int(rng.choice(codes, p=level_p[a - 1])),
                             "wt": round(N / m * (1.08 if sex == 1 else 0.94), 6)})
    pd.DataFrame(cells).to_csv(HERE / "planning_cells.csv", index=False, lineterminator="\n")
    pd.DataFrame(rows).to_csv(HERE / "planning_respondents.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
