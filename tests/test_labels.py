"""The report names the estimators' codes (survey/report/labels.py, issue 17).

The estimators return codes; :func:`survey.report.label_frame` is the one way, for the report
and for analysts, to read them by the questionnaire's labels.  The cases of the cross table,
the frequencies, the distribution and the free-text tables are in the tests of those
estimators (test_crosstab.py, test_satisfaction.py, test_freetext.py); here the rules that
are the helper's own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey
from survey.errors import InputError
from survey.report import CITY_LABEL, label_frame
from survey.report.labels import NET_LABEL, answer_labels, attribute_name


def test_an_estimators_by_column_is_named_and_the_whole_city_stays(questionnaire):
    from survey.examples import bundled_wave

    design, q = bundled_wave()
    parks = survey.park_use_table(design, "park_use", by="district", questionnaire=q)
    named = label_frame(parks, q)
    # codes 1..5 of 問3 地区 by name; the whole-sample row stays 全体 (the report calls it 市全体)
    assert list(dict.fromkeys(parks["district"])) == [1, 2, 3, 4, 5, "全体"]
    assert list(dict.fromkeys(named["district"])) == ["内間木", "北部", "東部", "西部", "南部", "全体"]
    assert named.drop(columns="district").equals(parks.drop(columns="district"))
    assert CITY_LABEL == "市全体" and survey.report.CITY_LABEL is survey.labels.CITY_LABEL
    # only the columns asked for: the answers' labels, the by codes left as they are
    dist = survey.satisfaction_distribution(design, "satisfaction", questionnaire=q, by="district")
    only = label_frame(dist, q, columns=["code"])
    assert only["district"].equals(dist["district"]) and only["label"].iloc[-1] == "無回答"
    assert only[only["kind"] == "net"]["label"].unique().tolist() == [NET_LABEL]
    assert label_frame(dist, q)["district"].iloc[0] == "内間木"


def test_missing_codes_and_values_that_are_no_code(questionnaire):
    frame = pd.DataFrame({"district": [1.0, np.nan, 7, "全体"], "estimate": [0.1, 0.2, 0.3, 0.4]})
    # a missing code is 無回答 (no answer, an unknown attribute); a value no code of the question stays
    assert label_frame(frame, questionnaire)["district"].tolist() == ["内間木", "無回答", 7, "全体"]
    # the answers of a multi-answer question are its items; a likert item column reads the matrix's codes
    assert answer_labels(questionnaire, "activity")[1.0] == "市民農園などで野菜や草花を生産する"
    assert answer_labels(questionnaire, "imp_rain") == {float(k): v for k, v in questionnaire["importance"].codes.items()}
    assert attribute_name(questionnaire, "district") == "地区"


def test_what_cannot_be_labelled_says_why(questionnaire):
    with pytest.raises(InputError, match="label_frame needs an estimator's DataFrame \\(or a result of frames\\), "
                                         "got list"):
        label_frame([1, 2], questionnaire)
    with pytest.raises(InputError, match="'nothing' is no question or column of questionnaire midori"):
        label_frame(pd.DataFrame({"question": ["nothing"], "code": [1]}), questionnaire)
    with pytest.raises(InputError, match="the frame's codes name no question"):
        label_frame(pd.DataFrame({"code": [1, 2]}), questionnaire)
    boxes = pd.DataFrame({"kind": ["level", "top"], "code": [1, np.nan]})
    boxes.attrs["column"] = "satisfaction"
    with pytest.raises(InputError, match=r"the distribution has lost attrs\['top_codes'\]: label it before "
                                         "reshaping it"):
        label_frame(boxes, questionnaire)
