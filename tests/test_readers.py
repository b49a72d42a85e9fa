import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survey.errors import InputError
from survey.intake.readers import detect_encoding, read_raw

from delivery import delivery


@pytest.fixture()
def frame(questionnaire):
    df = delivery(questionnaire, n=3)
    df.loc[0, "問12 自由意見"] = "～と－（全角）"
    return df


@pytest.mark.parametrize("encoding,expected", [("cp932", "cp932"), ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig")])
def test_csv_round_trip_with_encoding_detection(tmp_path, frame, encoding, expected):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    before = path.read_bytes()
    raw = read_raw(path)
    assert raw.provenance.encoding == expected
    assert raw.provenance.rows_read == 3
    assert raw.provenance.sha256 == hashlib.sha256(before).hexdigest()
    assert raw.frame.loc[1, "問12 自由意見"] == "～と－（全角）"  # never mangled (shift_jis would)
    assert list(raw.frame.index) == [1, 2, 3]
    assert raw.frame.loc[1, "問7-1 利用しない理由"] is None
    assert path.read_bytes() == before  # raw file untouched


def test_shift_jis_is_refused(tmp_path, frame):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False, encoding="cp932")
    with pytest.raises(InputError, match="cp932' instead of shift_jis"):
        read_raw(path, encoding="shift_jis")


def test_xlsx_round_trip(tmp_path, frame):
    path = tmp_path / "d.xlsx"
    frame.to_excel(path, index=False)
    raw = read_raw(path)
    assert raw.provenance.format == "xlsx"
    assert raw.frame.loc[2, "問2 年齢"] == "3"
    assert raw.frame.loc[1, "問12 自由意見"] == "～と－（全角）"


def test_sav_round_trip_with_value_labels(tmp_path, frame):
    path = tmp_path / "d.sav"
    df = frame.copy()
    df.columns = [f"v{i}" for i in range(df.shape[1])]
    numeric = df[["v1", "v2"]].astype(float)
    numeric["v12"] = df["v12"].replace("", None)
    pyreadstat.write_sav(numeric, str(path), variable_value_labels={"v1": {1.0: "男性", 2.0: "女性"}})
    raw = read_raw(path)
    assert raw.provenance.format == "sav"
    assert raw.frame.loc[1, "v1"] == "1"  # 1.0 read back as the code "1"
    assert raw.value_labels["v1"][1] == "男性"


def test_parquet_round_trip(tmp_path, frame):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    raw = read_raw(path)
    assert raw.frame.shape == frame.shape and raw.frame.loc[3, "回答者ID"] == "R0003"


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    ("回答者ID,問1 性別\n".encode("utf-8"), "no data rows"),
    (b"\x00\x01\x02binary\x00", "binary"),
    ("回答者ID,問1 性別\nA,1\n".encode("utf-16"), "UTF-16"),
    ("a,b,c\n1,2,3\n4,5".encode("utf-8"), "truncated"),
])
def test_unreadable_inputs(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_raw(path)
    assert "bad.csv" in str(info.value)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_raw(tmp_path / "nope.csv")
    other = tmp_path / "x.json"
    other.write_text("{}")
    with pytest.raises(InputError, match=r"unsupported file type \.json"):
        read_raw(other)


def test_undecodable_bytes_reported_with_line(tmp_path):
    good = "回答者ID,問12 自由意見\nA1,こんにちは\nA2,ok\n".encode("cp932")
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + b"A3,\x81\x20\n")
    raw = read_raw(path)
    assert raw.provenance.encoding == "cp932"
    assert [(line, row) for line, row, _ in raw.decode_errors] == [(4, 3)]
    assert "\ufffd" in raw.frame.loc[3, "問12 自由意見"]


def test_detect_encoding_prefers_utf8():
    assert detect_encoding("あ".encode("utf-8")) == ("utf-8-sig", [])
    assert detect_encoding("あ～".encode("cp932")) == ("cp932", [])


def test_record_positions_short_rows_and_quoted_line_breaks(tmp_path):
    """Issue 18: the fields and first line of each record are counted on the bytes, only the
    lines holding a quote go through the csv module; both routes give the same records.
    Hand count of the file below (line: record): 1 heading; 2 row 1; 3-4 row 2 (a quoted
    line break); 5 blank (Excel row 4, skipped by pandas); 6 row 3 with 2 of 3 fields;
    7 row 4 with a quoted comma and a doubled quote."""
    from survey.intake.csv_reader import _csv_records, _line_records

    text = 'id,q1,c\r\n1,2,x\r\n2,3,"two\r\nlines"\r\n\r\n3,4\r\n4,5,"a, ""b"""\r\n'
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    raw = read_raw(path)
    assert raw.short_rows == ((3, 6, 2),)
    assert list(raw.positions) == [(2, 2), (3, 3), (5, 6), (6, 7)]
    assert raw.frame["c"].tolist() == ["x", "two\r\nlines", None, 'a, "b"']
    fast, slow = _line_records(text.encode("utf-8")), _csv_records(text)
    assert [a.tolist() for a in fast[:2]] == [a.tolist() for a in slow[:2]] == [[0, 1, 2, 4, 5, 6], [3, 3, 3, 0, 2, 3]]
    assert fast[2] == slow[2] == 7
    # the bytes are searched a block at a time (16 MB; 4 bytes here): the same positions
    from survey.intake.csv_reader import _where_byte

    arr = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    for byte in (10, 13, 34, 0):
        assert _where_byte(arr, byte, block=4).tolist() == np.flatnonzero(arr == byte).tolist()
    assert _where_byte(arr[:0], 10).tolist() == []
    # one record per line, none short: no positions needed (data row r is on line r + 1)
    path.write_bytes(b"id,q1\n1,2\n2,3\n")
    assert read_raw(path).positions == () and read_raw(path).short_rows == ()
