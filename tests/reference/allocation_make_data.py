"""Write tests/data/allocation_test.csv: a small deterministic synthetic ¥1,000 allocation set.

Run from the repository root:  python tests/reference/allocation_make_data.py

200 respondents in 3 strata (``stratum``) with unequal weights (``wt``), an age
group and a district, and ten integer parts (yen) that add up to 1000, drawn
from three latent preference profiles (``profile``, kept for the segment
tests) so that the allocation has structure.  Amounts are multiples of ¥50,
so about a third of the answers are ¥0.  Then 6 rows are pushed off the total
(4 add to 900, 2 to 1100) and 2 rows lose a part (missing), to exercise the
total policy.  Only numpy's seeded generator is used: the file is the same on
every machine with numpy >= 1.17.
"""
from pathlib import Path

import numpy as np
import pandas as pd

PARTS = ["rainwater", "cooling", "carbon", "wildlife", "landscape",
         "farming", "health", "childhood", "community", "disaster"]
PROFILES = np.array([
    [1, 4, 1, 1, 2, 1, 4, 1, 1, 4],     # comfort and safety
    [2, 1, 3, 5, 3, 2, 1, 1, 1, 1],     # nature
    [1, 1, 1, 1, 1, 3, 2, 5, 4, 1],     # community and children
], dtype=float)


def make(seed: int = 20250601, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = np.repeat(["north", "central", "south"], [70, 80, 50])
    base_w = {"north": 310.0, "central": 240.0, "south": 420.0}
    wt = np.array([base_w[s] for s in stratum]) * rng.uniform(0.6, 1.6, n).round(2)
    age = rng.choice(["18-39", "40-64", "65+"], size=n, p=[0.3, 0.4, 0.3])
    district = rng.choice(["Asaka", "Hizaori", "Kurome", "Uchimaki"], size=n)
    profile = np.where(age == "65+", rng.choice(3, n, p=[0.5, 0.3, 0.2]),
                       np.where(age == "18-39", rng.choice(3, n, p=[0.2, 0.3, 0.5]),
                                rng.choice(3, n, p=[0.34, 0.33, 0.33])))
    units = np.zeros((n, 10), dtype=int)          # twenty units of ¥50 per row
    for i in range(n):
        share = rng.dirichlet(PROFILES[profile[i]] * 0.9)
        units[i] = rng.multinomial(20, share)
    yen = units * 50
    frame = pd.DataFrame(yen, columns=PARTS)
    off = rng.choice(n, 8, replace=False)
    for r in off[:4]:                              # add up to 900
        j = int(np.argmax(yen[r]))
        frame.iloc[r, j] -= 100
    for r in off[4:6]:                             # add up to 1100
        frame.iloc[r, int(np.argmin(yen[r]))] += 100
    frame = frame.astype("float64")
    frame.iloc[off[6], 2] = np.nan
    frame.iloc[off[7], 7] = np.nan
    frame.insert(0, "profile", profile + 1)
    frame.insert(0, "district", district)
    frame.insert(0, "age", age)
    frame.insert(0, "wt", wt.round(2))
    frame.insert(0, "stratum", stratum)
    frame.insert(0, "id", np.arange(1, n + 1))
    return frame


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "data" / "allocation_test.csv"
    make().to_csv(out, index=False, na_rep="NA")
    print(f"wrote {out}")
