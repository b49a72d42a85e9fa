import numpy as np
import pytest

from survey.errors import DesignError
from survey.measures.tables.sampling_error import margin_of_error, sampling_error_table


def test_textbook_values():
    # hand calculation: 1.959964·sqrt(0.5·0.5/1000) = 0.030990; sqrt(0.1·0.9/400) = 0.015 → 0.029399
    assert margin_of_error(0.5, 1000) == pytest.approx(0.0309900, abs=1e-6)
    assert margin_of_error(0.1, 400) == pytest.approx(0.0293995, abs=1e-6)


def test_deff_and_fpc_scale_the_half_width():
    base = margin_of_error(0.3, 500)
    assert margin_of_error(0.3, 500, deff=1.44) == pytest.approx(1.2 * base)
    # fpc sqrt((N-n)/(N-1)) with N=1000, n=500 → sqrt(500/999)
    assert margin_of_error(0.3, 500, population=1000) == pytest.approx(base * np.sqrt(500 / 999))


def test_table_shape_and_values():
    t = sampling_error_table(ns=[1000, 100], ps=[0.1, 0.5], deff=2.0)
    assert list(t.columns) == ["n", "10% / 90%", "50% / 50%"]
    assert t.loc[1, "50% / 50%"] == pytest.approx(100 * 1.959964 * np.sqrt(2 * 0.25 / 100), rel=1e-6)


def test_bad_input():
    with pytest.raises(DesignError, match="n must be positive"):
        margin_of_error(0.5, 0)
