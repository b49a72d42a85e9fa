"""Write tests/data/satisfaction_test.csv: a small deterministic synthetic midori survey.

Run from the repository root:  python tests/reference/satisfaction_make_data.py

Two independent waves (``wave`` = 2025 with 480 respondents, 2030 with 420),
each a stratified sample by district (``stratum`` = ``district``, 5 strata of
unequal sizes) with weights ``wt`` = stratum population / stratum sample size
times an age non-response adjustment (older people answer more often, so they
get smaller weights).  Columns use the tidy names and codes of
``questionnaires/midori_2025.yaml``:

* ``sex`` 1/2, ``age_band`` 1..6, ``district`` 1..5, ``children`` 1/2;
* ``satisfaction`` 1..5 (scored +1 .. -1), 6 わからない, 9 無回答 and a few blanks
  (NA) -- both kinds of non-answer, to exercise both paths;
* ``park_use`` 1..6 (6 = 利用しない), a few blanks;
* ``imp_rain .. imp_disaster``: the ten importance items 1..4 from one latent
  factor (so that Cronbach's alpha is high), a few blanks.

Satisfaction rises with age and park use; 内間木 (district 1) uses parks less.
The 2030 wave has a small shift up in satisfaction.  Only numpy's seeded
generator is used: the file is the same on every machine with numpy >= 1.17.
"""
from pathlib import Path

import numpy as np
import pandas as pd

ITEMS = ["imp_rain", "imp_cool", "imp_carbon", "imp_wildlife", "imp_scenery",
         "imp_farm", "imp_health", "imp_children", "imp_community", "imp_disaster"]
# population adults by district (illustrative) and the stratum sample sizes per wave
POP_DISTRICT = np.array([1800, 25800, 29400, 28200, 34800])
N_DISTRICT = {2025: np.array([30, 100, 110, 110, 130]), 2030: np.array([30, 85, 95, 100, 110])}
AGE_P = np.array([0.14, 0.14, 0.17, 0.18, 0.15, 0.22])      # respondents: older answer more
AGE_ADJ = np.array([1.45, 1.30, 1.10, 0.95, 0.85, 0.70])    # non-response adjustment
SAT_AGE = np.array([-0.50, -0.30, -0.10, 0.05, 0.30, 0.50])
SAT_DISTRICT = np.array([0.15, 0.05, -0.10, 0.10, -0.15])
PARK_DISTRICT = np.array([-0.80, 0.05, 0.00, 0.10, -0.05])
PARK_CUTS = np.array([-0.90, -0.10, 0.60, 1.20, 1.80])
SAT_CUTS = np.array([-1.30, -0.45, 0.35, 1.30])
IMP_MEAN = np.array([0.60, 0.80, 0.30, 0.40, 0.40, 0.10, 0.80, 0.80, 0.00, 1.00])
IMP_CUTS = np.array([-0.90, 0.00, 1.00])


def _wave(rng, wave, start_id):
    counts = N_DISTRICT[wave]
    district = np.repeat(np.arange(1, 6), counts)
    n = district.size
    age = rng.choice(6, size=n, p=AGE_P) + 1
    sex = rng.choice([1, 2], size=n, p=[0.46, 0.54])
    children = np.where(rng.random(n) < np.array([0.1, 0.5, 0.6, 0.3, 0.06, 0.02])[age - 1], 1, 2)
    wt = (POP_DISTRICT / counts)[district - 1] * AGE_ADJ[age - 1] * rng.uniform(0.9, 1.1, n)
    # park use: latent normal, higher = more often; category 1 = almost daily .. 6 = never
    park_lat = PARK_DISTRICT[district - 1] + 0.45 * (children == 1) + rng.normal(size=n)
    park = 6 - np.searchsorted(PARK_CUTS, park_lat)             # 1..6
    park_times = np.array([300, 130, 52, 18, 4, 0])[park - 1]
    # satisfaction: latent normal, higher = more satisfied; code 1 = そう思う
    shift = 0.25 if wave == 2025 else 0.40
    sat_lat = (shift + SAT_AGE[age - 1] + SAT_DISTRICT[district - 1] + 0.06 * (sex == 2)
               + 0.15 * np.log1p(park_times) / np.log(301) * 2 + rng.normal(size=n))
    sat = 5 - np.searchsorted(SAT_CUTS, sat_lat)                 # 1..5
    sat = sat.astype(float)
    u = rng.random(n)
    sat[u < 0.05] = 6                                            # わからない
    sat[(u >= 0.05) & (u < 0.07)] = 9                            # 無回答 (code)
    sat[(u >= 0.07) & (u < 0.08)] = np.nan                       # blank
    park = park.astype(float)
    park[rng.random(n) < 0.015] = np.nan
    factor = rng.normal(size=n)
    imp_lat = IMP_MEAN[None, :] + 0.7 * factor[:, None] + 0.7 * rng.normal(size=(n, len(ITEMS)))
    imp = (4 - np.searchsorted(IMP_CUTS, imp_lat.ravel())).reshape(n, -1).astype(float)  # 1 重要 .. 4
    imp[rng.random(imp.shape) < 0.01] = np.nan
    frame = pd.DataFrame({
        "id": np.arange(start_id, start_id + n), "wave": wave, "stratum": district,
        "wt": wt.round(3), "sex": sex, "age_band": age, "district": district, "children": children,
        "satisfaction": sat, "park_use": park,
    })
    for j, item in enumerate(ITEMS):
        frame[item] = imp[:, j]
    return frame


def make(seed: int = 20250705) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first = _wave(rng, 2025, 1)
    second = _wave(rng, 2030, len(first) + 1)
    return pd.concat([first, second], ignore_index=True)


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "data" / "satisfaction_test.csv"
    make().to_csv(out, index=False, na_rep="NA")
    print(f"wrote {out}")
