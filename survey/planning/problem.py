"""One allocation problem of :func:`~survey.planning.mailing.plan_mailing`: the arrays
over the cells (population, response rate, cost, variance of the measure), the
targets as rows, and the smallest mailing that meets them within each group.

Internal; nothing here is public.
"""
from __future__ import annotations

import numpy as np

from survey.planning.allocate import allocate, cell_shape, smallest_total, within_group
from survey.planning.precision import measure_variance, z_value

__all__ = ["AllocationProblem"]


class AllocationProblem:
    """The pieces of one allocation problem (arrays over the cells)."""

    def __init__(self, inputs, measure, method, k, fpc):
        cells, item = inputs.cells, inputs.items[measure]
        self.inputs, self.fpc, self.k = inputs, fpc, k
        self.N = cells["population"].to_numpy(dtype=float)
        self.r = cells["response_rate"].to_numpy(dtype=float)
        self.groups = cells[inputs.keys[0]].to_numpy()
        self.levels = np.unique(self.groups)
        shape = cell_shape(method, self.N, item["variance"].to_numpy(float), self.r,
                           item["answer_rate"].to_numpy(float), k)
        self.shape = np.where(self.N > 0, shape, 0.0)
        self.cap = self.N
        self.upper = np.array([float(np.sum(k[self.groups == g] * np.where(self.shape[self.groups == g] > 0,
                                                                           self.cap[self.groups == g], 0)))
                               for g in self.levels])
        self.wave = {(mm, d, int(lv)): se for mm, d, lv, se in zip(
            inputs.wave["measure"], inputs.wave["domain"], inputs.wave["level"], inputs.wave["se"])}

    def variance(self, m, measure, mask):
        return measure_variance(self.inputs, m, measure, mask, fpc=self.fpc)

    def allocate(self, total, floor):
        return allocate(total, self.shape, self.k, self.cap, self.groups, floor)

    def target_rows(self, tlist):
        """``(group rows, other rows)``: ``(target, measure, domain, level, mask, ceiling)``."""
        cells, group = self.inputs.cells, self.inputs.keys[0]
        grp, rest = [], []
        for t, mname in tlist:
            domains = ([("city", 0, np.ones(len(self.N), dtype=bool))] if t.by is None else
                       [(t.by, int(lv), cells[t.by].to_numpy() == lv) for lv in np.unique(cells[t.by])])
            for dom, lv, mask in domains:
                ceiling = t.ceiling(self.wave.get((mname, dom, lv), np.nan))
                (grp if dom == group else rest).append((t, mname, dom, lv, mask, ceiling))
        return grp, rest

    def _impossible_change(self, row, impossible) -> bool:
        t, mname, dom, lv, _, ceiling = row
        if ceiling > 0:
            return False
        impossible.append(f"{mname} {dom} {lv}: this wave's SE {self.wave.get((mname, dom, lv)):.4g} alone "
                          f"exceeds what a change of {t.value:g} allows; no next wave can reach it "
                          "(use against='plan' or a larger change)")
        return True

    def group_floors(self, rows, floors_n, impossible, level) -> np.ndarray:
        """Cheapest cost of every group meeting its targets and minimum respondents."""
        floor = np.zeros(len(self.levels))
        for row in rows:
            if self._impossible_change(row, impossible):
                continue
            _, mname, dom, lv, sel, ceiling = row
            gi = int(np.flatnonzero(self.levels == lv)[0])

            def excess(c, sel=sel, mname=mname, ceiling=ceiling):
                m = np.zeros(len(self.N))
                m[sel] = within_group(c, self.shape[sel], self.k[sel], self.cap[sel])
                return self.variance(m, mname, sel) - ceiling

            need = smallest_total(excess, 1e-9 * self.upper[gi], self.upper[gi])
            if need is None:
                impossible.append(f"{mname} {dom} {lv}: even mailing every adult of the group misses "
                                  f"±{z_value(level) * np.sqrt(ceiling):.3g}")
                need = self.upper[gi]
            floor[gi] = max(floor[gi], need)
        for g, need_n in floors_n.items():
            gi = int(np.flatnonzero(self.levels == g)[0])
            sel = self.groups == g

            def short(c, sel=sel, need_n=need_n):
                return need_n - float(self.r[sel] @ within_group(c, self.shape[sel], self.k[sel], self.cap[sel]))

            got = smallest_total(short, 0.0, self.upper[gi])
            if got is None:
                impossible.append(f"{self.inputs.keys[0]} {g}: fewer than {need_n:g} respondents expected even "
                                  "mailing every adult")
                got = self.upper[gi]
            floor[gi] = max(floor[gi], got)
        return floor

    def required_total(self, floor, rows, impossible):
        """Smallest total meeting the city (and other-key) targets above the floors."""
        live = [row for row in rows if not self._impossible_change(row, impossible)]
        low, high = float(floor.sum()), float(self.upper.sum())
        if not live:
            return low

        def worst(total):
            m = self.allocate(total, floor)
            return max((self.variance(m, mname, mask) - ceiling) / ceiling
                       for _, mname, _, _, mask, ceiling in live)

        required = smallest_total(worst, low, high)
        if required is None:
            impossible.append("the targets for the city / age bands cannot be met even mailing every adult")
        return required
