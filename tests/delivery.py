"""Hand-made deliveries in the contractor's raw layout, for intake tests."""
import pandas as pd


def raw_headers(q):
    return [q.respondent_id_header] + [h for x in q.questions for h in x.raw_headers]


def base_row(q, rid):
    """A clean, fully answered return (codes as a contractor would type them)."""
    r = {h: "" for h in raw_headers(q)}
    r.update({q.respondent_id_header: rid, "問1 性別": "1", "問2 年齢": "3", "問3 地区": "2",
              "問4 居住年数": "10", "問5 子ども": "2", "問6 みどりの満足度": "2", "問7 公園の利用頻度": "3"})
    for i, it in enumerate(q["importance"].items):
        r[it.header] = str(1 + i % 3)
    for it in q["allocation"].items:
        r[it.header] = "100"
    for slot, code in zip(q["policy"].items, ("1", "2", "3")):
        r[slot.header] = code
    for it in q["activity"].items:
        r[it.header] = "0"
    r[q["activity"].items[0].header] = "1"
    r["問12 自由意見"] = "公園が好きです"
    return r


def delivery(q, n=4, edits=()):
    """n clean rows, then edits: (row_index_0_based, header, value)."""
    rows = [base_row(q, f"R{i + 1:04d}") for i in range(n)]
    for i, header, value in edits:
        rows[i][header] = value
    return pd.DataFrame(rows)[raw_headers(q)]
