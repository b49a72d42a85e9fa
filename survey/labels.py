"""The report's fixed Japanese labels that the computation writes into its tables.

A measure's long frame names its rows with them (the whole-sample row 全体, the
level 無回答) and the report layer reads them back; they live here, below both,
so that the report does not import the measures for a constant.  The report
names some of them again in its tables (:data:`CITY_LABEL`).
"""
from __future__ import annotations

__all__ = ["CITY_LABEL", "NO_ANSWER_LABEL", "TOTAL_LABEL"]

#: The answer level of respondents who were asked and did not answer (and the group of
#: respondents whose attribute is unknown).
NO_ANSWER_LABEL = "無回答"
#: The whole-sample row of a table broken down by an attribute.
TOTAL_LABEL = "全体"
#: The report's name of the whole-sample row (:data:`TOTAL_LABEL`) in a table that compares each
#: area with the whole city (park use by district against the city).
CITY_LABEL = "市全体"
