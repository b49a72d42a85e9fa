"""report.html: structure, escaping, determinism, tables; plus a demo builder.

``PYTHONPATH=. python tests/test_html.py OUT.html`` writes the demo report (fake tidy
frames through every chart) — scripts/screenshot_report.sh uses it.
"""
from __future__ import annotations

import base64
import html.parser
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.errors import InputError
from survey.measures.tables.sampling_error import sampling_error_table
from survey.report import charts
from survey.report.format import UNWEIGHTED, WEIGHTED, fmt_percent
from survey.report.html import (
    DEFAULT_SAMPLING_ERROR_NOTE,
    Figure,
    Indicator,
    Methods,
    Section,
    Table,
    render_html,
    write_html,
)

XSS = "<script>alert(1)</script>"
AGES = ["18〜29歳", "30〜39歳", "40〜49歳", "50〜59歳", "60〜69歳", "70歳以上"]
DISTRICTS = ["内間木", "北部", "東部", "西部", "南部"]
PARTS = ["防災・減災", "生きものの生息・生育", "景観形成", "健康・レクリエーション", "地球温暖化の緩和"]
ITEMS = ["公園の維持管理", "樹林地の保全", "街路樹の充実", "農地の保全", "水辺の整備"]


# ------------------------------------------------------------------ demo data
def demo_frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """Fake tidy frames in the documented chart layouts (not survey results)."""
    rng = np.random.default_rng(seed)
    sat = []
    for by, groups in (("年齢", AGES), ("地区", DISTRICTS)):
        for g in groups:
            n = int(rng.integers(60, 300))
            for level, share in zip(charts.SATISFACTION_LEVELS, rng.dirichlet(np.full(7, 3.0))):
                sat.append({"by": by, "group": g, "level": level, "percent": share, "base_n": n})
    index = []
    for by, groups in (("全体", ["全体"]), ("年齢", AGES), ("地区", DISTRICTS)):
        for g in groups:
            est, half = rng.normal(0.29, 0.04), rng.uniform(0.02, 0.06)
            index.append({"by": by, "group": g, "estimate": est, "ci_low": est - half, "ci_high": est + half,
                          "base_n": int(rng.integers(60, 300))})
    alloc = []
    for g in ("18〜39歳", "40〜59歳", "60歳以上"):
        for part, yen in zip(PARTS, rng.dirichlet(np.full(len(PARTS), 5.0)) * 1000):
            alloc.append({"part": part, "group": g, "estimate": yen, "ci_low": yen - 20, "ci_high": yen + 20})
    heat = [{"group": g, "item": it, "percent": rng.uniform(0.05, 0.6), "base_n": 100}
            for g in AGES for it in ITEMS]
    return {"satisfaction": pd.DataFrame(sat), "index": pd.DataFrame(index),
            "allocation": pd.DataFrame(alloc), "priority": pd.DataFrame(heat)}


def demo_sections(frames=None, *, free_text: str = XSS) -> list[Section]:
    frames = frames or demo_frames()
    sat = frames["satisfaction"]
    sat_table = sat.pivot_table(index=["by", "group"], columns="level", values="percent", sort=False)
    sat_table = sat_table.reindex(columns=list(charts.SATISFACTION_LEVELS)).reset_index()
    sat_table.columns = ["区分", "属性"] + list(charts.SATISFACTION_LEVELS)
    alloc = frames["allocation"].pivot_table(index="part", columns="group", values="estimate", sort=False)
    alloc = alloc.reset_index().rename(columns={"part": "機能"})
    long_text = "駅の近くに木陰のある広場が欲しいです。夏は日差しが強く、子どもと歩くのが大変なので、街路樹を増やしてください。"
    comments = pd.DataFrame({"番号": [1, 2, 3, 4], "自由回答": ["公園をもっと増やしてほしい", free_text, long_text,
                                                         "=HYPERLINK(\"http://x\",\"y\")"]})
    return [
        Section("satisfaction", "みどりの満足度", intro="「朝霞市のみどりの豊かさに満足している」と思うか。",
                figures=[Figure(charts.satisfaction_chart(sat), "年齢別・地区別の回答分布")],
                tables=[Table(f"年齢別・地区別の回答分布（%{WEIGHTED}）", sat_table,
                              formats={c: fmt_percent for c in sat_table.columns[2:]})],
                notes=["% は重み付け、n は重みなし。"]),
        Section("index", "満足度指数と目標値",
                figures=[Figure(charts.index_chart(frames["index"], target=0.30, baseline=0.29,
                                                   target_label="目標値（FY2035）", baseline_label="基準値（FY2025）",
                                                   ylabel="満足度指数（ポイント）"),
                                "満足度指数と95%信頼区間")]),
        Section("allocation", "1,000円の配分",
                figures=[Figure(charts.allocation_chart(frames["allocation"]), "機能別の平均配分額")],
                tables=[("機能別の平均配分額（円）", alloc)]),
        Section("priority", "優先すべき取組",
                figures=[Figure(charts.priority_heatmap(frames["priority"]), "年齢別の優先項目（%）")]),
        Section("comments", "自由回答（抜粋）", tables=[("自由回答", comments)]),
    ]


def demo_report(sections=None) -> str:
    return render_html(
        demo_sections() if sections is None else sections,
        title="朝霞市 みどりの市民アンケート FY2025（デモ）",
        provenance_lines=["入力ファイル: demo.csv  sha256: 0123abcd", "midori-survey (demo)"],
        methods=demo_methods(),
        headline=[Indicator("みどりの満足度（指数）", "0.31", ci="0.27〜0.35", baseline="0.29（FY2025）",
                            target="0.30（FY2035）", unit="ポイント", n="1,024"),
                  Indicator("公園の年間利用回数", "31.2", ci="29.0〜33.4", baseline="30.9", target="31.9",
                            unit="回/年", n="1,010")],
    )


def demo_methods() -> Methods:
    errors = sampling_error_table(ns=[1000, 500, 100], deff=1.4).rename(columns={"n": "基数 n"})
    return Methods(weighting="年齢×性別×地区の母集団人口にレイキングした。",
                   variance="線形化（テイラー展開）で推定した。",
                   tables=[Table("標本誤差早見表（±ポイント、deff = 1.4）", errors,
                                 formats={c: (lambda v: f"{v:.1f}") for c in errors.columns[1:]})])


# -------------------------------------------------------------------- helpers
class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.imgs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
        if tag == "img":
            self.imgs.append(a["src"])


def _parse(text: str) -> _Collector:
    c = _Collector()
    c.feed(text)
    return c


@pytest.fixture(scope="module")
def frames():
    return demo_frames()


@pytest.fixture(scope="module")
def sections(frames):
    return demo_sections(frames)


@pytest.fixture(scope="module")
def report(sections):
    return demo_report(sections)


@pytest.fixture(scope="module")
def tiny_png() -> bytes:
    return charts.priority_heatmap(pd.DataFrame({"group": ["全体"], "item": ["公園"], "percent": [0.5]}))


def _small_report(sections, **kw) -> str:
    return render_html(sections, title=kw.pop("title", "テスト"), provenance_lines=kw.pop("provenance", ["p"]),
                       methods=kw.pop("methods", Methods("w", "v")), **kw)


# ---------------------------------------------------------------------- tests
def test_structure_toc_headline_first_and_methods(report):
    doc = _parse(report)
    assert report.startswith("<!DOCTYPE html>")
    assert "script" not in doc.tags
    # every TOC link points at an element of the page, in page order
    anchors = [h[1:] for h in doc.hrefs if h.startswith("#") and h != "#toc"]
    assert anchors == ["headline", "satisfaction", "index", "allocation", "priority", "comments", "methods",
                       "provenance"]
    assert set(anchors) <= set(doc.ids)
    positions = [report.index(f'<section id="{a}">') for a in anchors]
    assert positions == sorted(positions)  # headline indicators before every analysis
    assert len(doc.imgs) == 4 and all(src.startswith("data:image/png;base64,") for src in doc.imgs)
    # figures and tables are numbered through the page
    assert ["図1", "図2", "図3", "図4"] == re.findall(r"図\d+", report)
    assert re.findall(r"表\d+", report) == ["表1", "表2", "表3", "表4"]
    for needle in ("重み付け", "分散推定", "計算式", "標本誤差", "参考文献", "Lumley", "sha256: 0123abcd"):
        assert needle in report
    assert WEIGHTED in report and UNWEIGHTED in report  # the weighted/unweighted legend is on the page
    assert escape(DEFAULT_SAMPLING_ERROR_NOTE) in report
    assert "IPAexGothic" in report and '"Hiragino Sans"' in report


def test_embedded_png_is_the_chart(frames):
    png = charts.allocation_chart(frames["allocation"])
    page = _small_report([Section("a", "配分", figures=[Figure(png, "図の説明")])])
    src = _parse(page).imgs[0]
    assert base64.b64decode(src.split(",", 1)[1]) == png


def test_free_text_script_comes_out_inert(tiny_png):
    evil = Table(XSS, pd.DataFrame({XSS: [XSS, "ok"]}), note=XSS)
    page = _small_report(
        [Section("x", XSS, intro=XSS, figures=[Figure(tiny_png, XSS, alt='"><script>alert(2)</script>')],
                 tables=[evil], notes=[XSS])],
        title=XSS, provenance=[XSS], methods=Methods(XSS, XSS, formulas=[(XSS, XSS)], references=[XSS]),
        headline=[Indicator(XSS, XSS, note=XSS)], subtitle=XSS)
    assert "<script" not in page.lower()
    assert "script" not in _parse(page).tags
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # every place shown, none dropped: <title> and <h1>, subtitle, indicator label/value/note, TOC entry,
    # <h2>, intro, figure caption, table caption/header/cell/note, section note, weighting, variance,
    # formula name and text, reference, provenance line = 21
    assert page.count(escaped) == 21
    assert 'alt="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in page
    # the CSP forbids scripts even if something slipped through
    assert "default-src 'none'" in page


def test_svg_with_script_is_embedded_as_image_only():
    svg = charts.priority_heatmap(pd.DataFrame({"group": ["a"], "item": ["b"], "percent": [0.1]}), image_format="svg")
    hostile = svg.replace("</svg>", "<script>alert(3)</script></svg>")
    page = _small_report([Section("s", "svg", figures=[Figure(hostile, "svg図")])])
    assert "alert(3)" not in page
    src = _parse(page).imgs[0]
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).decode("utf-8") == hostile


def test_two_renders_are_byte_identical(monkeypatch, sections):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = demo_report(sections)
    second = demo_report(sections)  # chart bytes are checked for identity in test_charts.py
    assert first.encode("utf-8") == second.encode("utf-8")
    assert "作成日" not in first


def test_date_only_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751328000")  # 2025-07-01T00:00:00Z (hand conversion)
    page = _small_report([])
    assert "作成日 2025-07-01" in page


def test_write_html_writes_utf8(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    kw = {"title": "みどり", "provenance_lines": ["入力"], "methods": Methods("w", "v")}
    path = write_html([], tmp_path / "out" / "report.html", **kw)
    assert path.read_bytes() == render_html([], **kw).encode("utf-8")
    assert b"\r\n" not in path.read_bytes()


def test_numbers_right_aligned_and_formatted():
    frame = pd.DataFrame({"属性": ["男性", "女性"], "n": [1234, 0], "平均": [12.345, np.nan],
                          "%": [0.123, 0.5], "文字の数": ["1,234", "-"]})
    page = _small_report([Section("t", "表", tables=[Table("c", frame, formats={"%": fmt_percent})])])
    cells = re.findall(r"<td( class=\"(?:num|short)\")?>([^<]*)</td>", page)
    assert cells == [(' class="short"', "男性"), (' class="num"', "1,234"), (' class="num"', "12.3"), (' class="num"', "12.3"),
                     (' class="num"', "1,234"),
                     (' class="short"', "女性"), (' class="num"', "0"), (' class="num"', ""), (' class="num"', "50.0"),
                     (' class="num"', "-")]
    headers = re.findall(r"<th scope=\"col\"( class=\"[a-z ]+\")?>([^<]*)</th>", page)
    assert headers == [(' class="short"', "属性"), (' class="num short"', "n"), (' class="num short"', "平均"),
                       (' class="num short"', "%"), (' class="num short"', "文字の数")]


def _one_decimal(v):
    """The report's share formatter: a suppressed cell (x) passes as it is."""
    return v if isinstance(v, str) else f"{v:.1f}"


def test_short_headings_never_wrap_and_a_hidden_cell_keeps_its_column_numeric():
    # the bundled report printed 全/体, 今回/値 and 基準/の値 one or two characters a line (issue 16
    # item 4), and a column with an x (a suppressed share) was left-aligned like text
    frame = pd.DataFrame({"全体": [97.2, 57.0], "基準の値": ["x", "0.287"],
                          "「利用しない」の割合(%)（重み付け）": [64.4, 20.7]})
    page = _small_report([Section("t", "表", tables=[("c", frame)])])
    headers = re.findall(r"<th scope=\"col\"( class=\"[a-z ]+\")?>([^<]*)</th>", page)
    assert headers == [(' class="num short"', "全体"), (' class="num short"', "基準の値"),
                       (' class="num"', "「利用しない」の割合(%)（重み付け）")]
    assert re.findall(r"<td[^>]*>[^<]*</td>", page)[:2] == ['<td class="num">97.2</td>', '<td class="num">x</td>']
    assert re.search(r"td\.num, td\.short, th\.short \{ white-space: nowrap; \}", page)
    # the same through a column formatter: 表2 (回答分布) printed そう思う 12.4 left-aligned under x cells
    frame = pd.DataFrame({"そう思う": [12.4, "x"]})
    page = _small_report([Section("t", "表", tables=[Table("c", frame, formats={"そう思う": _one_decimal})])])
    assert re.findall(r"<td[^>]*>[^<]*</td>", page)[:2] == ['<td class="num">12.4</td>', '<td class="num">x</td>']


def test_long_free_text_wraps_short_labels_do_not():
    frame = pd.DataFrame({"区分": ["年齢"], "自由回答": ["あ" * 40]})
    page = _small_report([Section("t", "表", tables=[("c", frame)])])
    assert re.findall(r"<td[^>]*>[^<]*</td>", page) == ['<td class="short">年齢</td>',
                                                        f"<td class=\"long\">{'あ' * 40}</td>"]
    # long text wraps but keeps a readable width: a verdict beside many columns was squeezed to
    # 2-3 characters a line (issue 16 item 4, HTML 表15)
    assert re.search(r"td\.long \{ min-width: 12em; \}", page)


def test_named_index_becomes_columns():
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="区分"))
    page = _small_report([Section("t", "表", tables=[("c", frame)])])
    assert re.findall(r"<th scope=\"col\"[^>]*>([^<]*)</th>", page) == ["区分", "v"]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_chromium_parses_the_page_without_script(tmp_path, tiny_png):
    # a real browser's DOM after parsing: the free text is a text node, no <script> element exists
    page = _small_report([Section("x", "自由回答", figures=[Figure(tiny_png, "図")],
                                  tables=[("c", pd.DataFrame({"自由回答": [XSS]}))])])
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()]
    dom = subprocess.run(["chromium", *flags], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<td class=\"long\">&lt;script&gt;alert(1)&lt;/script&gt;</td>" in dom   # long text: min-width
    assert "<script" not in dom.lower()
    assert dom.count("<img ") == 1


@pytest.mark.parametrize("make, message", [
    (lambda: Section("1bad", "t"), "not a valid anchor"),
    (lambda: Section("methods", "t"), "reserved"),
    (lambda: Section("ok", "t", tables=["not a table"]), "Table"),
    (lambda: Figure(b"GIF89a...", "c"), "PNG"),
    (lambda: Figure("<html></html>", "c"), "SVG"),
    (lambda: Table("c", pd.DataFrame({"a": [1]}), formats={"b": str}), "lacks"),
    (lambda: _small_report([Section("a", "x"), Section("a", "y")]), "used twice"),
    (lambda: _small_report([], title=" "), "title"),
])
def test_bad_input_is_explained(make, message):
    with pytest.raises(InputError, match=message):
        make()


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "report_demo.html")
    out.write_text(demo_report(), encoding="utf-8")
    print(out)


def test_headings_break_at_brackets_and_after_a_groups_attribute():
    # 表4 printed 年間利用/回数（重/み付け） and 表5 年/齢:18〜/29歳 in narrow numeric columns:
    # headings keep their words (CSS keep-all) and may break after 年齢: (a <wbr>)
    frame = pd.DataFrame({"みどりのチカラ": ["防災"], "年齢:18〜29歳": [117.0], "年間利用回数（重み付け）": [30.8]})
    page = _small_report([Section("t", "表", tables=[("c", frame)])])
    assert re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", page) == [
        "みどりのチカラ", "年齢:<wbr>18〜29歳", "年間利用回数（重み付け）"]
    assert "thead th { background: var(--head); font-weight: bold; word-break: keep-all; }" in page


def test_the_file_links_line_up_with_the_provenance():
    # the links to 目次.csv and the open data sat indented and larger than the provenance list above them
    css = (Path(__file__).resolve().parents[1] / "survey" / "report" / "templates" / "report.css").read_text(
        encoding="utf-8")
    assert "ol.references, ul.provenance, ul.files { font-size: .9rem; padding-left: 1.6rem; }" in css
