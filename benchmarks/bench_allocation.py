"""Allocation estimators at n = 2,000 (the test set bootstrapped). Run: python benchmarks/bench_allocation.py"""
import time
from pathlib import Path

import pandas as pd

from survey.design.design import Design
from survey.measures.allocation.means import allocation_group_test, allocation_means, allocation_top_k
from survey.measures.allocation.compositional import closed_geometric_mean, ilr_group_test
from survey.measures.allocation.dirichlet import dirichlet_regression
from survey.measures.allocation.segments import allocation_segments

P = ["rainwater", "cooling", "carbon", "wildlife", "landscape", "farming", "health", "childhood", "community", "disaster"]
ROOT = Path(__file__).resolve().parents[1]


def main():
    big = pd.read_csv(ROOT / "tests/data/allocation_test.csv").sample(2000, replace=True, random_state=1).reset_index(drop=True)
    des = Design(big, weights="wt", strata="stratum")
    valid = (big[P].notna().all(axis=1) & (big[P].sum(axis=1) == 1000)).to_numpy()
    for label, f in [("means by age", lambda: allocation_means(des, P, by="age")),
                     ("group test", lambda: allocation_group_test(des, P, by="age")),
                     ("top-3, 500 bootstrap", lambda: allocation_top_k(des, P, replicates=500, seed=1)),
                     ("geomean + ilr test", lambda: (closed_geometric_mean(des, P), ilr_group_test(des, P, by="age"))),
                     ("Dirichlet ~age", lambda: dirichlet_regression(des.subset(valid), P, covariates=["age"])),
                     ("segments k=2..6", lambda: allocation_segments(des, P, by=("age", "district")))]:
        t = time.perf_counter()
        f()
        print(f"{label:25s} {time.perf_counter() - t:5.2f} s")


if __name__ == "__main__":
    main()
