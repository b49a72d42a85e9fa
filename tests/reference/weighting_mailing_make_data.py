"""Write the small deterministic wave behind tests/test_weighting.py (base weights from a mailing file).

Run from the repository root:  python tests/reference/weighting_mailing_make_data.py

Files (in tests/reference/):

* ``weighting_mailing_margins.csv`` -- population counts by district (1..3) x
  age band (1..3) x sex (1..2), ``count``: 9,000 adults in all;
* ``weighting_mailing_mailing.csv`` -- the questionnaires mailed per district x
  age band cell, deliberately disproportionate with an age x district
  interaction (young people of district 3 and everybody in district 1 are
  oversampled), as a planner's mailing file (``district, age_band, mailed``);
* ``weighting_mailing_respondents.csv`` -- the 201 respondents: ``id``, the
  register attributes ``district, age_band, sex`` (the cell they were mailed
  in), the reported attributes ``district_rep, age_band_rep, sex_rep`` (a few
  blanks, and sex 3 = 回答しない), and ``satisfaction`` (codes of
  questionnaires/midori_2025.yaml: 1..5 scored +1 .. -1, 6 わからない, 9 無回答).

Mailed people answer with a probability that rises with age and is higher
for women; satisfaction rises with age, differs by district and has an age x
district interaction, so that raking from equal weights is biased here.
Only numpy's seeded generator is used: the files are the same on every machine.
"""
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20251125
POP = np.array([  # [district, age band, sex]
    [[180, 170], [220, 230], [300, 340]],
    [[900, 880], [800, 820], [700, 790]],
    [[700, 660], [520, 540], [200, 250]],
])
MAILED = np.array([  # [district, age band]
    [60, 50, 45],
    [40, 35, 30],
    [90, 45, 25],
])
RESPONSE_AGE = np.array([0.35, 0.50, 0.65])
RESPONSE_SEX = np.array([0.9, 1.1])
SAT_AGE = np.array([-0.5, 0.0, 0.5])
SAT_DISTRICT = np.array([0.2, 0.0, -0.2])
SAT_CUTS = np.array([-1.30, -0.45, 0.35, 1.30])


def main() -> None:
    rng = np.random.Generator(np.random.PCG64(SEED))
    margins = [(d + 1, a + 1, s + 1, int(POP[d, a, s])) for d in range(3) for a in range(3) for s in range(2)]
    pd.DataFrame(margins, columns=["district", "age_band", "sex", "count"]).to_csv(
        HERE / "weighting_mailing_margins.csv", index=False, lineterminator="\n")
    mailing = [(d + 1, a + 1, int(MAILED[d, a])) for d in range(3) for a in range(3)]
    pd.DataFrame(mailing, columns=["district", "age_band", "mailed"]).to_csv(
        HERE / "weighting_mailing_mailing.csv", index=False, lineterminator="\n")
    rows = []
    for d in range(3):
        for a in range(3):
            share_women = POP[d, a, 1] / POP[d, a].sum()
            for _ in range(MAILED[d, a]):
                s = int(rng.random() < share_women)
                if rng.random() >= RESPONSE_AGE[a] * RESPONSE_SEX[s]:
                    continue
                interaction = 0.6 if (d == 2 and a == 0) else 0.0   # young people of district 3
                latent = SAT_AGE[a] + SAT_DISTRICT[d] + interaction + 0.1 * s + rng.normal()
                sat = 5 - int(np.searchsorted(SAT_CUTS, latent))
                u = rng.random()
                sat = 6 if u < 0.05 else 9 if u < 0.07 else sat
                rows.append((d + 1, a + 1, s + 1, sat))
    frame = pd.DataFrame(rows, columns=["district", "age_band", "sex", "satisfaction"])
    n = len(frame)
    rep = frame[["district", "age_band", "sex"]].astype(float).copy()
    u = rng.random((n, 3))
    rep.loc[u[:, 0] < 0.02, "district"] = np.nan
    rep.loc[u[:, 1] < 0.02, "age_band"] = np.nan
    rep.loc[u[:, 2] < 0.02, "sex"] = 3.0
    frame.insert(0, "id", np.arange(1, n + 1))
    frame["district_rep"] = rep["district"].astype("Int64")
    frame["age_band_rep"] = rep["age_band"].astype("Int64")
    frame["sex_rep"] = rep["sex"].astype("Int64")
    frame.to_csv(HERE / "weighting_mailing_respondents.csv", index=False, lineterminator="\n")
    print(f"{n} respondents; per cell:\n{frame.groupby(['district', 'age_band']).size().unstack()}")
    print(f"unknown district {int(rep['district'].isna().sum())}, age {int(rep['age_band'].isna().sum())}, "
          f"sex 3: {int((rep['sex'] == 3).sum())}")


if __name__ == "__main__":
    main()
