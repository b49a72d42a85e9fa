"""Property-based tests (hypothesis) of everything that reads untrusted input.

The readers, normalisation, validation, the questionnaire parser and the
``survey validate`` command get random bytes, random CSV shapes, random codes
and random encodings.  The only failure allowed is a :class:`SurveyError`
whose message names the file; and whenever a delivery is normalised, nothing
is lost: every row read is either kept or excluded, exactly once.

The examples here are few and derandomised (fast and repeatable in CI);
``python benchmarks/fuzz_long.py`` runs the same properties with 10,000+
random examples each.  The strategies live in this module so the long run
uses the very same ones.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from survey.cli import main
from survey.errors import InputError, SpecError, SurveyError
from survey.intake.normalise import normalise
from survey.intake.readers import read_raw
from survey.intake.validate import validate_raw
from survey.questionnaire import load_questionnaire, parse_questionnaire

from conftest import QUESTIONNAIRE, ROOT
from delivery import raw_headers

#: examples per property in a long session (set by benchmarks/fuzz_long.py); 0 = the quick CI run
LONG_RUN = int(os.environ.get("MIDORI_FUZZ_EXAMPLES", "0") or 0)


def _settings(examples: int) -> settings:
    if LONG_RUN:
        return settings(max_examples=LONG_RUN, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


QUICK = _settings(40)
SLOW = _settings(10)   # xlsx / sav / parquet writers and the CLI are slower

Q = load_questionnaire(QUESTIONNAIRE)
HEADERS = raw_headers(Q)
BASE_SPEC = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
_WORK: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _workdir(tmp_path_factory):
    """One folder for the files the examples write (each example overwrites them)."""
    _WORK["dir"] = tmp_path_factory.mktemp("fuzz")
    yield
    _WORK.clear()

# ----------------------------------------------------------------- strategies

#: cell values a contractor (or a broken export) may deliver
NASTY_CELLS = [
    "", " ", "\u3000", "1", "2", "3", "6", "9", "99", "999", "0", "-1", "1.0", "1.5", "１", "①", "Ⅳ", "٣", "½", "²",
    "nan", "NaN", "inf", "-inf", "1e400", "9" * 40, "1,000", "１，０００", "1000", "100", "500円", "−5", "ー",
    "○", "●", "〇", "そう思う", "18～29歳", "18〜29歳", "無回答", "=1+1", "-", "+", "@SUM(1)", "None", "null",
    "TRUE", "0x10", "1_0", "\u00a0", "1\n2", 'a"b', "a,b", "1,2", "\ufeff1", "\ufffd", "x" * 300,
]
cells = st.one_of(
    st.sampled_from(NASTY_CELLS),
    st.text(max_size=6),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
codes_only = st.sampled_from(["", "1", "2", "3", "4", "5", "6", "9", "0", "100", "1000", "○", "x"])


@st.composite
def deliveries(draw, values=cells):
    """A CSV delivery as bytes: the questionnaire's headings (shuffled, some
    dropped, unknown ones added), random cells and ids, a random encoding and
    line end, sometimes cut short.  Returns ``(bytes, data rows written)``."""
    cols = list(HEADERS)
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    if draw(st.integers(0, 4)) == 0:
        dropped = draw(st.sets(st.sampled_from(HEADERS), max_size=3))
        cols = [c for c in cols if c not in dropped]
    cols += [e for e in dict.fromkeys(draw(st.lists(st.text(min_size=1, max_size=5), max_size=2))) if e not in cols]
    n = draw(st.integers(1, 8))
    rows = [[draw(values) for _ in cols] for _ in range(n)]
    if HEADERS[0] in cols:  # ids: mostly distinct, some repeated or blank
        at = cols.index(HEADERS[0])
        for i, row in enumerate(rows):
            row[at] = draw(st.sampled_from([f"R{i}", f"R{i}", "R0", "", " ", f"{i}"]))
    buf = io.StringIO()
    csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([cols] + rows)
    text = buf.getvalue()
    if draw(st.integers(0, 5)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace"), n


@st.composite
def csv_shapes(draw):
    """Any small CSV-like text: random separators, quotes, line ends, BOMs."""
    alphabet = st.sampled_from(list(',;\t\n\r"\' abc19=～あ\ufeff\x00\x1a\\'))
    text = draw(st.text(alphabet, max_size=200))
    encoding = draw(st.sampled_from(["utf-8", "cp932", "utf-16-le", "utf-8-sig"]))
    return text.encode(encoding, errors="replace")


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, prefix + (i,))


SPEC_PATHS = [p for p in _paths(BASE_SPEC) if p]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 1000), st.floats(allow_nan=True), st.text(max_size=5),
    st.sampled_from(["in", "x", "1", "single", "multi", "ranking", "allocation", "numeric", "likert", "text",
                     "slots", "drop", "reject", "rescale", "park_use", "age_band"]),
)
spec_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-2, 12)), inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def mutated_specs(draw):
    """The real questionnaire with 1–3 keys replaced, deleted or added."""
    spec = copy.deepcopy(BASE_SPEC)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(SPEC_PATHS))
        parent = spec
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.integers(0, 2))
            if action == 1 and isinstance(parent, dict):
                del parent[path[-1]]
            elif action == 2 and isinstance(parent, dict):
                parent[draw(st.text(max_size=4))] = draw(spec_values)
            else:
                parent[path[-1]] = draw(spec_values)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced the parent
    return spec


# ----------------------------------------------------------------- checks shared with benchmarks/fuzz_long.py


def write(blob: bytes, suffix: str = ".csv") -> Path:
    path = _WORK["dir"] / (f"delivery{suffix}" if suffix.startswith(".") else f"file{suffix}")
    path.write_bytes(blob)
    return path


def check_survey_error(exc: SurveyError, path: Path | None = None) -> None:
    """A deliberate error: one-line-able text that names the file it is about."""
    message = str(exc)
    assert message.strip(), type(exc)
    assert "\n" not in message and "\r" not in message, message  # one line on the command line
    if path is not None and isinstance(exc, (InputError, SpecError)):
        assert path.name in message, message


def check_ledger(ds, rows_read: int) -> None:
    """Nothing lost: every row read is kept or excluded, exactly once."""
    lg = ds.ledger
    assert lg.rows_read == rows_read == lg.rows_kept + lg.rows_excluded
    assert lg.rows_kept == len(ds.data) == len(ds.missing_reasons)
    excluded = lg.exclusions["row"].tolist()
    assert len(set(excluded)) == len(excluded)
    assert sorted(set(ds.data.index) | set(excluded)) == list(range(1, rows_read + 1))
    assert not set(ds.data.index) & set(excluded)


def read_normalise_validate(path: Path, questionnaire=Q) -> str:
    """Read, normalise and validate one file; return how far it got (also
    counted as a hypothesis event, shown by ``--hypothesis-show-statistics``)."""
    outcome = _read_normalise_validate(path, questionnaire)
    event(outcome)
    return outcome


def _read_normalise_validate(path: Path, questionnaire) -> str:
    try:
        raw = read_raw(path)
    except SurveyError as exc:
        check_survey_error(exc, path)
        return "refused by reader"
    assert raw.rows_read == len(raw.frame) >= 1
    assert all(v is None or isinstance(v, str) for v in raw.frame.to_numpy().ravel())
    try:
        ds = normalise(raw, questionnaire)
    except SurveyError as exc:
        check_survey_error(exc, path)
        outcome = "refused by normalise"
        try:  # rows that cannot be read as delivered are excluded on request (survey run --exclude-undecodable)
            ds = normalise(raw, questionnaire, exclude_undecodable=True)
        except SurveyError as again:
            check_survey_error(again, path)
        else:
            check_ledger(ds, raw.rows_read)
            outcome = "normalised without unreadable rows"
    else:
        check_ledger(ds, raw.rows_read)
        outcome = "normalised"
    try:
        report = validate_raw(raw, questionnaire)
    except SurveyError as exc:
        check_survey_error(exc, path)
        return outcome
    assert report.ledger.rows_read == report.ledger.rows_kept + report.ledger.rows_excluded == raw.rows_read
    assert report.exit_code in (0, 1)
    return outcome


def cli_validate(path: Path, questionnaire_path: Path = QUESTIONNAIRE) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path), "--questionnaire", str(questionnaire_path), "--format", "json"])
    return code, err.getvalue()


def check_cli(code: int, err: str) -> None:
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("survey validate: error: ") and err.count("\n") == 1, err


# ----------------------------------------------------------------- properties


@QUICK
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".sav", ".parquet"]))
@pytest.mark.hostile("fuzz")
def test_random_bytes_in_any_format(blob, suffix):
    read_normalise_validate(write(blob, suffix))


@QUICK
@given(blob=csv_shapes())
@pytest.mark.hostile("fuzz")
def test_random_csv_shapes_and_encodings(blob):
    read_normalise_validate(write(blob))


@QUICK
@given(delivery=deliveries())
@pytest.mark.hostile("fuzz")
def test_fuzzed_deliveries_lose_no_row(delivery):
    blob, _ = delivery
    read_normalise_validate(write(blob))


@QUICK
@given(delivery=deliveries(values=codes_only))
@pytest.mark.hostile("fuzz")
def test_plausible_codes_lose_no_row(delivery):
    """Cells drawn from answer codes reach every cleaning rule (ranking gaps,
    multi-answer limits, allocation totals, skip logic, blank returns)."""
    blob, _ = delivery
    read_normalise_validate(write(blob))


@SLOW
@given(frame=st.lists(st.lists(st.one_of(st.none(), cells, st.integers(-10**6, 10**6),
                                         st.floats(allow_nan=True, allow_infinity=False)),
                               min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=4),
       fmt=st.sampled_from(["xlsx", "parquet"]))
@pytest.mark.hostile("fuzz")
def test_fuzzed_xlsx_and_parquet(frame, fmt):
    df = pd.DataFrame(frame, columns=HEADERS)
    path = _WORK["dir"] / f"delivery.{fmt}"
    if fmt == "xlsx":
        # the contractor's workbook: numbers as numbers, text as text (no formulas)
        df = df.map(lambda v: v.replace("=", "＝", 1) if isinstance(v, str) and v.startswith("=") else v)
        df.to_excel(path, index=False)
    else:  # text columns with nulls, as a database export writes them
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({h: pa.array([None if v is None else str(v) for v in df[h].tolist()], type=pa.string())
                          for h in HEADERS})
        pq.write_table(table, path)
    read_normalise_validate(path)


@SLOW
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 3.0, 6.0, 9.0, 100.0, 1000.0]),
                                        st.floats(-1e6, 1e6)), min_size=len(Q.columns) - 1, max_size=len(Q.columns) - 1),
                     min_size=1, max_size=4),
       comment=st.text(max_size=20))
@pytest.mark.hostile("fuzz")
def test_fuzzed_sav(rows, comment):
    """An SPSS file named by the questionnaire's column ids, numbers with value labels."""
    import pyreadstat

    names = list(Q.columns)
    text_cols = {x.id for x in Q.by_type("text")}
    df = pd.DataFrame([[f"R{i}"] + r for i, r in enumerate(rows)], columns=names)
    for col in names[1:]:
        df[col] = [comment.replace("\x00", "")] * len(df) if col in text_cols else df[col].astype(float)
    path = _WORK["dir"] / "delivery.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"sex": {1.0: "男性", 2.0: "女性"}})
    read_normalise_validate(path)


@QUICK
@given(spec=mutated_specs())
@pytest.mark.hostile("fuzz")
def test_mutated_questionnaires(spec):
    """A broken spec is a SpecError naming the key; a valid one normalises a delivery."""
    try:
        q = parse_questionnaire(spec, path="fuzzed.yaml")
    except SpecError as exc:
        assert "fuzzed.yaml" in str(exc) and "key " in str(exc)
        return
    headers = raw_headers(q)
    rng = np.random.default_rng(len(headers))
    body = [[f"R{i}"] + [str(v) for v in rng.choice(["", "1", "2", "3", "6", "9", "0", "100", "x"], len(headers) - 1)]
            for i in range(5)]
    buf = io.StringIO()
    csv.writer(buf).writerows([headers] + body)
    read_normalise_validate(write(buf.getvalue().encode("utf-8")), q)


@QUICK
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200),
                      mutated_specs().map(lambda s: yaml.safe_dump(s, allow_unicode=True))))
@pytest.mark.hostile("fuzz")
def test_random_questionnaire_files(text):
    path = write(text if isinstance(text, bytes) else text.encode("utf-8"), ".yaml")
    try:
        load_questionnaire(path)
    except SpecError as exc:
        check_survey_error(exc, path)
        assert "\n" not in str(exc)


MARGINS = list(csv.reader(io.StringIO((ROOT / "data" / "midori_margins.csv").read_text(encoding="utf-8"))))


@st.composite
def margins_files(draw):
    """The bundled population margins with cells replaced, rows or columns dropped."""
    rows = [list(r) for r in MARGINS]
    for _ in range(draw(st.integers(1, 4))):
        i, j = draw(st.integers(1, len(rows) - 1)), draw(st.integers(0, len(rows[0]) - 1))
        rows[i][j] = draw(st.one_of(st.sampled_from(["", "0", "-1", "abc", "1,000", "inf", "nan", "1e308", "1.5", "9"]),
                                    st.text(max_size=4)))
    if draw(st.booleans()):
        rows = [rows[0]] + draw(st.lists(st.sampled_from(rows[1:]), max_size=8))
    if draw(st.integers(0, 3)) == 0:
        drop = draw(st.integers(0, len(rows[0]) - 1))
        rows = [r[:drop] + r[drop + 1:] for r in rows]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"])), errors="replace")


_SAMPLE = {}


def _sample_wave():
    from survey.intake import load

    if "ds" not in _SAMPLE:
        _SAMPLE["ds"] = load(ROOT / "data" / "raw" / "midori_2025_sample.csv", Q)
    return _SAMPLE["ds"]


def _consistent_mailing() -> pd.DataFrame:
    """A mailing consistent with the bundled returns (mailed = 2 × returned + 5)."""
    cells = _sample_wave().data.groupby(["district", "age_band"]).size().rename("n").reset_index()
    return cells.assign(mailed=2 * cells["n"] + 5)[["district", "age_band", "mailed"]].astype(int)


@SLOW
@given(blob=margins_files(), with_mailing=st.booleans())
@pytest.mark.hostile("fuzz")
def test_fuzzed_margins(blob, with_mailing):
    """Bad population margins are an InputError (file, row, value), never a
    traceback, with equal base weights or from a (good) mailing file."""
    from survey.weighting import read_margins, weight_wave

    path = write(blob, "_margins.csv")
    try:
        design = weight_wave(_sample_wave(), read_margins(path),
                             mailing=_consistent_mailing() if with_mailing else None)
    except SurveyError as exc:
        check_survey_error(exc)
        event("refused")
    else:
        w = design.weights.to_numpy()
        assert np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0
        event("weighted")


@st.composite
def mailing_files(draw):
    """The consistent mailing file (as in tests/test_run.py) with cells
    replaced, rows or columns dropped or repeated."""
    rows = [["district", "age_band", "mailed"]] + _consistent_mailing().astype(str).to_numpy().tolist()
    for _ in range(draw(st.integers(0, 4))):
        i, j = draw(st.integers(1, len(rows) - 1)), draw(st.integers(0, 2))
        rows[i][j] = draw(st.one_of(st.sampled_from(["", "0", "-1", "abc", "1,000", "inf", "nan", "1e308", "1.5",
                                                     "9", "99999", "内間木"]), st.text(max_size=4)))
    if draw(st.booleans()):
        rows = [rows[0]] + draw(st.lists(st.sampled_from(rows[1:]), max_size=40))
    if draw(st.integers(0, 4)) == 0:
        drop = draw(st.integers(0, 2))
        rows = [r[:drop] + r[drop + 1:] for r in rows]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"])), errors="replace")


@SLOW
@given(blob=mailing_files())
@pytest.mark.hostile("fuzz")
def test_fuzzed_mailing(blob):
    """A bad mailing file (``survey run --mailing``) is a SurveyError naming the
    file, never a traceback; an accepted one gives finite, positive weights."""
    from survey.weighting import read_margins, weight_wave

    path = write(blob, "_mailing.csv")
    try:
        design = weight_wave(_sample_wave(), read_margins(ROOT / "data" / "midori_margins.csv"), mailing=path)
    except SurveyError as exc:
        check_survey_error(exc, path)
        event("refused")
    else:
        w = design.weights.to_numpy()
        assert np.isfinite(w).all() and (w > 0).all()
        event("weighted")


@SLOW
@given(delivery=deliveries())
@pytest.mark.hostile("fuzz")
def test_cli_validate_exits_0_1_or_2_with_one_line(delivery):
    blob, _ = delivery
    check_cli(*cli_validate(write(blob)))


@SLOW
@given(n=st.integers(40, 120), sample=st.integers(10, 39), seed=st.integers(0, 2**16))
def test_segments_silhouette_subsample(n, sample, seed):
    """Above ``silhouette_sample`` rows the criterion is the weighted
    silhouette of the seeded subsample (the scale path used from 5,000 rows)."""
    from survey.design import Design
    from survey.measures.allocation.compositional import clr, multiplicative_replacement
    from survey.measures.allocation.segments import allocation_segments, weighted_silhouette

    rng = np.random.default_rng(seed)
    parts = [f"p{j}" for j in range(4)]
    y = rng.multinomial(10, rng.dirichlet(np.ones(4), size=n)[0] if seed % 2 else [0.25] * 4, size=n) * 100
    design = Design(pd.DataFrame(y, columns=parts).assign(w=rng.uniform(1, 3, n)), weights="w")
    try:
        res = allocation_segments(design, parts, k_range=[2, 3], silhouette_sample=sample, seed=seed,
                                  n_init=2)
    except InputError as exc:  # every k put the whole (tiny) subsample in one segment
        assert "silhouette subsample" in str(exc)
        return
    sub = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
    coords = clr(multiplicative_replacement(y.astype(float), delta=1.0, total=1000))
    lab = np.asarray(res.labels, dtype=float)
    assert np.isnan(lab).sum() == 0
    chosen = res.criteria.loc[res.criteria["chosen"], "score"].iloc[0]
    if len(np.unique(lab[sub])) > 1:
        expected = weighted_silhouette(coords[sub], lab[sub], design.weights.to_numpy()[sub])
        assert chosen == pytest.approx(expected, rel=1e-10)


# ----------------------------------------------------------------- regressions found by benchmarks/fuzz_long.py


def test_line_break_in_a_yaml_key_stays_one_line(capsys):
    """fuzz_long (seed 20251126): a code key of ``"\\n\\n"`` split the SpecError over two lines."""
    spec = copy.deepcopy(BASE_SPEC)
    spec["questions"][0]["codes"]["\n\n"] = None
    path = write(yaml.safe_dump(spec, allow_unicode=True).encode("utf-8"), ".yaml")
    code, err = cli_validate(write(b"a,b\n1,2\n"), path)
    assert code == 2
    check_cli(code, err)
    assert "codes.\\n\\n] code '\\n\\n' is not an integer" in err


def test_line_break_in_a_heading_stays_one_line():
    blob = '"name\nx",age\n1,2\n'.encode()
    code, err = cli_validate(write(blob))
    check_cli(code, err)
    assert code == 2 and "found name\\nx, age" in err


# ----------------------------------------------------------------- workbook structure and SPSS metadata (issue 15)


@SLOW
@given(states=st.lists(st.sampled_from(["visible", "hidden", "veryHidden"]), min_size=1, max_size=3),
       filled=st.lists(st.booleans(), min_size=3, max_size=3),
       hidden_rows=st.lists(st.integers(1, 6), max_size=3),
       odd_cells=st.lists(st.tuples(st.integers(1, 6), st.integers(1, len(HEADERS) + 2),
                                    st.sampled_from(["date", "formula", "error", "far"])), max_size=3),
       sheet=st.one_of(st.none(), st.integers(-1, 4), st.sampled_from(["s0", "s1", "nope", "2"])))
@pytest.mark.hostile("fuzz")
def test_fuzzed_workbook_structure(states, filled, hidden_rows, odd_cells, sheet):
    """Hidden and empty sheets, hidden rows, dates, formulas, error values and stray far cells:
    the workbook is read, or refused naming the file, never a traceback or a lost row."""
    import datetime as dt

    import openpyxl

    from delivery import delivery

    if "visible" not in states:  # openpyxl (and Excel) will not save a workbook without a visible sheet
        states = states[:-1] + ["visible"]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for k, state in enumerate(states):
        ws = book.create_sheet(f"s{k}")
        if filled[k]:
            frame = delivery(Q, n=4)
            ws.append(list(frame.columns))
            for row in frame.itertuples(index=False):
                ws.append([None if v == "" else v for v in row])
        ws.sheet_state = state
    ws = book.worksheets[0]
    for r in hidden_rows:
        ws.row_dimensions[r].hidden = True
    for r, c, kind in odd_cells:
        cell = ws.cell(r, c)
        if kind == "date":
            cell.value, cell.number_format = dt.datetime(2025, 7, 1), "yyyy/m/d"
        elif kind == "formula":
            cell.value = "=1+1"
        elif kind == "error":
            cell.value = "#N/A"
            cell.data_type = "e"
        else:
            ws.cell(r * 1000, c * 300, 1)  # up to row 6000, column 12900: past the 20,000,000-cell limit
    path = _WORK["dir"] / "structure.xlsx"
    book.save(path)
    try:
        raw = read_raw(path, sheet=sheet)
    except SurveyError as exc:
        check_survey_error(exc, path)
        event("refused by reader")
        return
    event("read")
    assert all(v is None or isinstance(v, str) for v in raw.frame.to_numpy().ravel())
    for normalise_or_validate in (lambda: normalise(raw, Q, exclude_undecodable=True), lambda: validate_raw(raw, Q)):
        try:
            result = normalise_or_validate()
        except SurveyError as exc:
            check_survey_error(exc, path)
            continue
        lg = result.ledger
        assert lg.rows_read == lg.rows_kept + lg.rows_excluded == raw.rows_read


@SLOW
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 1.0, 2.0, 3.0, 9.0, 99.0])),
                              min_size=len(Q.columns) - 1, max_size=len(Q.columns) - 1), min_size=1, max_size=4),
       labels=st.dictionaries(st.sampled_from(["sex", "age_band", "satisfaction", "park_use", "policy_1"]),
                              st.dictionaries(st.sampled_from([-1.0, 1.0, 2.0, 9.0, 7.0]),
                                              st.sampled_from(["男性", "女性", "無回答", "不明", "x"]), max_size=3),
                              max_size=3),
       missing=st.dictionaries(st.sampled_from(["sex", "satisfaction", "years_lived", "alloc_rain", "activity_1"]),
                               st.one_of(st.lists(st.sampled_from([-1.0, 9.0, 99.0, 2.0]), min_size=1, max_size=3),
                                         st.tuples(st.sampled_from([-9.0, 1.0, 9.0]), st.sampled_from([-1.0, 9.0, 99.0])
                                                   ).map(lambda t: [{"lo": min(t), "hi": max(t)}])),
                               max_size=3),
       by_label=st.booleans())
@pytest.mark.hostile("fuzz")
def test_fuzzed_sav_metadata(rows, labels, missing, by_label):
    """SPSS value labels, user-missing values and variable labels in every combination: the
    file is normalised with nothing lost, or refused with the file named."""
    import pyreadstat

    names = list(Q.columns)
    text_cols = {x.id for x in Q.by_type("text")}
    df = pd.DataFrame([[f"R{i}"] + r for i, r in enumerate(rows)], columns=names)
    for col in names[1:]:
        df[col] = ["ok"] * len(df) if col in text_cols else df[col].astype(float)
    headers = dict(zip(names, HEADERS))
    if by_label:  # SPSS names Q1.. and the headings as variable labels
        renamed = {c: f"Q{i}" for i, c in enumerate(names, start=1)}
        df = df.rename(columns=renamed)
        labels = {renamed[c]: v for c, v in labels.items()}
        missing = {renamed[c]: v for c, v in missing.items()}
        column_labels = {renamed[c]: headers[c] for c in names}
    else:
        column_labels = None
    path = _WORK["dir"] / "metadata.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels, missing_ranges=missing,
                         column_labels=column_labels)
    read_normalise_validate(path)

