"""Large synthetic deliveries for benchmarks (100,000 to 1,000,000 rows).

Rows are independent adults (no finite population, no non-response),
answered with the same model as the bundled waves, reported and written in
the same delivered format (CP932, CRLF), chunk by chunk so memory stays
bounded.  No defects are injected.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from survey.errors import SurveyError
from survey.simulate.answers import simulate_answers
from survey.simulate.comments import text_answers
from survey.simulate.delivery import delivery_bytes, delivery_columns, reported_attributes
from survey.simulate.model_parse import model_for
from survey.simulate.population import draw_people, make_rng

__all__ = ["write_large_delivery"]


def write_large_delivery(questionnaire, path, *, rows: int, seed: int, chunk_rows: int = 100_000,
                         model=None) -> Path:
    """Write a delivery of ``rows`` respondents to ``path`` (CP932 CSV).

    The answer intercepts are calibrated on the first chunk and reused, so
    the file's calibrated indicators (midori: the satisfaction index and park
    use) are close to their baselines.  Same ``seed`` and ``chunk_rows``,
    identical bytes.

    Parameters
    ----------
    questionnaire : Questionnaire
    path : path-like
    rows : int
        Respondents (data lines).
    seed : int
    chunk_rows : int, default 100_000
    model : SimulationModel or path, optional
        Default the model beside the questionnaire.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    ``python benchmarks/...`` style use::

        write_large_delivery(q, "/tmp/midori_1m.csv", rows=1_000_000, seed=1)
    """
    model = model_for(questionnaire, model)
    if not isinstance(rows, (int, np.integer)) or rows < 1:
        raise SurveyError(f"rows must be a positive integer, got {rows!r}")
    if not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1000:
        raise SurveyError(f"chunk_rows must be an integer of at least 1000, got {chunk_rows!r}")
    q = questionnaire
    root = make_rng(seed)
    n_chunks = -(-int(rows) // int(chunk_rows))
    streams = root.spawn(n_chunks)
    width = max(4, len(str(rows)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    intercepts = None
    with path.open("wb") as fh:
        for i, rng in enumerate(streams):
            start = i * chunk_rows
            m = min(chunk_rows, rows - start)
            s_people, s_answers, s_report = rng.spawn(3)
            people = draw_people(s_people, m, model)
            answered, intercepts = simulate_answers(people, q, rng=s_answers, intercepts=intercepts, model=model)
            tidy = answered.assign(**reported_attributes(answered, q, s_report, model=model))
            tidy[q.respondent_id] = [f"{k:0{width}d}" for k in range(start + 1, start + m + 1)]
            for column, text in text_answers(model, s_report, m).items():
                tidy[column] = text
            fh.write(delivery_bytes(delivery_columns(tidy[list(q.columns)], q), header=(i == 0)))
    return path
