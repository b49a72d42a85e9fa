"""Charts: Japanese glyphs, determinism, colours where the data says, input checks."""
from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from survey.errors import InputError
from survey.report import chart_style, charts

LEVELS = list(charts.SATISFACTION_LEVELS)


def _sat(shares: dict, *, by="年齢", group="18〜29歳", base_n=120) -> pd.DataFrame:
    return pd.DataFrame([{"by": by, "group": group, "level": lv, "percent": shares.get(lv, 0.0), "base_n": base_n}
                         for lv in LEVELS])


INDEX = pd.DataFrame({"by": ["全体", "年齢", "年齢"], "group": ["全体", "18〜29歳", "70歳以上"],
                      "estimate": [0.29, 0.25, 0.33], "ci_low": [0.27, 0.20, 0.30], "ci_high": [0.31, 0.30, 0.36]})
ALLOC = pd.DataFrame({"part": ["防災・減災", "景観形成"] * 2, "group": ["男性", "男性", "女性", "女性"],
                      "estimate": [120.0, 80.0, 100.0, 95.0], "ci_low": [110.0, 70.0, 90.0, 85.0],
                      "ci_high": [130.0, 90.0, 110.0, 105.0]})
HEAT = pd.DataFrame({"group": ["18〜29歳", "18〜29歳", "70歳以上", "70歳以上"],
                     "item": ["公園の維持管理", "樹林地の保全"] * 2, "percent": [0.41, 0.12, 0.27, np.nan]})


def _every_chart(image_format="png"):
    return [
        charts.satisfaction_chart(_sat({"そう思う": 0.3, "ややそう思う": 0.3, "どちらともいえない": 0.2,
                                        "わからない": 0.1, "無回答": 0.1}), image_format=image_format),
        charts.index_chart(INDEX, target=0.30, baseline=0.29, ylabel="満足度指数（ポイント）",
                           image_format=image_format),
        charts.allocation_chart(ALLOC, image_format=image_format),
        charts.priority_heatmap(HEAT, title="年齢別の優先項目", image_format=image_format),
    ]


def test_japanese_labels_render_without_missing_glyph_warnings_and_identically_twice():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing from font(s)" UserWarning would raise here
        pngs = _every_chart()
    assert all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert _every_chart() == pngs  # byte-identical second render


def test_missing_glyph_check_can_fail():
    # negative control: a glyph in neither IPAexGothic nor DejaVu Sans does warn, so the test above is live
    frame = pd.DataFrame({"group": ["\U0001F333"], "item": ["公園"], "percent": [0.5]})
    with pytest.warns(UserWarning, match="missing from font"):
        charts.priority_heatmap(frame)


def test_font_is_ipaexgothic_and_global_state_is_untouched():
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    before = (list(matplotlib.rcParams["font.family"]), matplotlib.get_backend(), plt.get_fignums())
    charts.index_chart(INDEX)
    assert (list(matplotlib.rcParams["font.family"]), matplotlib.get_backend(), plt.get_fignums()) == before
    path = font_manager.findfont(font_manager.FontProperties(family=charts.FONT_FAMILY), fallback_to_default=False)
    assert path == str(charts.japanese_font_path())
    assert charts.japanese_font_path().name == "ipaexg.ttf"


def test_svg_output_is_deterministic_and_undated():
    def svgs():
        return [charts.satisfaction_chart(_sat({"そう思う": 1.0}), image_format="svg"),
                charts.priority_heatmap(HEAT, image_format="svg")]

    first = svgs()
    assert first == svgs()
    assert all(s.lstrip().startswith("<?xml") and "<svg" in s for s in first)
    assert not any("<dc:date>" in s or "Matplotlib v" in s for s in first)


def test_png_has_no_software_or_time_chunks():
    png = charts.allocation_chart(ALLOC)
    assert b"tEXt" not in png and b"tIME" not in png and b"iTXt" not in png


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _where(img: np.ndarray, hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.argwhere(np.all(img == rgb, axis=-1))


def test_stacked_bar_segments_follow_level_order_and_shares():
    # そう思う 30%, そう思わない 30%, 無回答 40%: green, then purple, then dark grey, left to right
    colours = charts.level_colors(LEVELS)
    assert colours["そう思う"] == "#1b7837" and colours["そう思わない"] == "#762a83"
    assert colours["わからない"] == "#b0b0b0" and colours["無回答"] == "#7a7a7a"
    img = _pixels(charts.satisfaction_chart(_sat({"そう思う": 0.3, "そう思わない": 0.3, "無回答": 0.4})))
    # the bar's row: where green is widest (the legend swatches are short)
    row = np.bincount(_where(img, colours["そう思う"])[:, 0]).argmax()
    line = img[row:row + 1]
    green, purple, grey = (_where(line, colours[k])[:, 1] for k in ("そう思う", "そう思わない", "無回答"))
    assert green.max() < purple.min() and purple.max() < grey.min()  # left to right in level order
    widths = [np.ptp(c) + 1 for c in (green, purple, grey)]
    # widths in proportion 30 : 30 : 40 (±2 px for white separators and anti-aliasing)
    assert widths[0] == pytest.approx(widths[1], abs=2)
    assert widths[2] / widths[0] == pytest.approx(4 / 3, rel=0.03)


def test_level_colours_without_neutral_and_odd_scales():
    four = charts.level_colors(["賛成", "やや賛成", "やや反対", "反対", "無回答"])
    assert list(four.values()) == ["#1b7837", "#a6dba0", "#c2a5cf", "#762a83", "#b0b0b0"]
    nine = charts.level_colors([str(i) for i in range(9)], nonsubstantive=())
    assert len(set(nine.values())) == 9


@pytest.mark.parametrize("call, message", [
    (lambda: charts.satisfaction_chart(_sat({"そう思う": 0.5})), "add up to 0.500"),
    (lambda: charts.satisfaction_chart(_sat({"そう思う": 1.0}).assign(percent=lambda f: f["percent"] * 100)),
     "between 0 and 1"),
    (lambda: charts.satisfaction_chart(_sat({"そう思う": 1.0}).replace({"level": {"無回答": "NA"}})),
     "not in levels"),
    (lambda: charts.satisfaction_chart(_sat({"そう思う": 1.0}).drop(columns="by")), r"columns \['by'\] are missing"),
    (lambda: charts.satisfaction_chart(_sat({"そう思う": 1.0}), image_format="jpg"), "'png' or 'svg'"),
    (lambda: charts.index_chart(INDEX.assign(ci_low=INDEX["ci_high"], ci_high=INDEX["ci_low"])), "ci_low"),
    (lambda: charts.index_chart(INDEX.iloc[:0]), "no rows"),
    (lambda: charts.allocation_chart(pd.DataFrame({"part": ["a"] * 9, "group": list("abcdefghi"),
                                                   "estimate": [1.0] * 9})), "too many colours"),
    (lambda: charts.allocation_chart(ALLOC.assign(estimate="多い")), "must be numeric"),
    (lambda: charts.priority_heatmap(pd.concat([HEAT, HEAT.iloc[:1]])), "appears twice"),
    (lambda: charts.priority_heatmap(HEAT.assign(group=[None, "a", "b", "c"])), "missing values"),
    (lambda: charts.satisfaction_chart([1, 2]), "DataFrame"),
])
def test_bad_frames_are_explained(call, message):
    with pytest.raises(InputError, match=message):
        call()


@pytest.mark.parametrize("labels, ncol", [
    (["そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない", "わからない", "無回答",
      "秘匿（人数が少ないセル）"], 4),
    (["全体", "18〜29歳", "30〜39歳", "40〜49歳", "50〜59歳", "60〜69歳", "70歳以上"], 6),
    (["a", "b"], 6),
])
def test_legends_read_row_by_row_in_the_order_of_the_bars(labels, ncol):
    # matplotlib fills a legend column by column: the distribution chart's first row read
    # そう思う, どちらともいえない, そう思わない, 無回答 and the allocation chart put 18〜29歳 last
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chart_style._ensure_font()
    with matplotlib.rc_context(chart_style._rc()):
        fig = Figure(layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        handles = [ax.plot([0], [0], label=label)[0] for label in labels]
        chart_style._legend(fig, handles, labels, ncol=ncol)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = fig.legends[0].get_texts()
        boxes = [t.get_window_extent(renderer) for t in texts]
    reading = [t.get_text() for t, b in sorted(zip(texts, boxes), key=lambda tb: (-round(tb[1].y0), tb[1].x0))]
    assert reading == labels
    assert len({round(b.y0) for b in boxes}) == -(-len(labels) // ncol)     # rows of ncol entries


def test_a_hidden_heat_map_cell_is_hatched_and_marked_x(monkeypatch):
    # seaborn drew a hidden (NaN) cell as a bare white square without its x, while the table
    # printed x and the answer-distribution chart hatched it (the free-text heat map, 内間木)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = {}

    def keep(draw, **_):
        with matplotlib.rc_context(chart_style._rc()):
            fig = Figure(layout="constrained")
            FigureCanvasAgg(fig)
            draw(fig)
            drawn["fig"] = fig
        return b""

    monkeypatch.setattr(charts, "_draw", keep)
    frame = pd.DataFrame({"group": ["全体", "全体", "内間木", "内間木"], "item": ["涼しさ", "風景"] * 2,
                          "percent": [0.044, 0.101, 0.0, 0.333], "hidden": [False, False, False, True]})
    charts.priority_heatmap(frame)
    fig = drawn["fig"]
    ax = fig.axes[0]
    marks = [(t.get_text(), t.get_position()) for t in ax.texts if t.get_text() == "x"]
    assert marks == [("x", (1.5, 1.5))]                       # row 内間木, column 風景
    hatched = [p for p in ax.patches if p.get_hatch() == "///"]
    assert [(p.get_x(), p.get_y()) for p in hatched] == [(1, 1)]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["x 秘匿（人数が少ないセル）"]
    assert sorted(t.get_text() for t in ax.texts if t.get_text() != "x") == ["0.0", "10.1", "4.4"]
    # without hidden cells: no legend, nothing hatched
    charts.priority_heatmap(frame.assign(hidden=False))
    assert drawn["fig"].legends == [] and not [p for p in drawn["fig"].axes[0].patches if p.get_hatch()]


@pytest.mark.parametrize("facecolor", ["white", "none"])
def test_png_has_the_pixels_of_savefig(facecolor):
    """Issue 18: the charts' PNG is savefig's picture pixel for pixel, without the alpha channel
    when every pixel is opaque (the report's white figures) and with it otherwise, with the
    resolution in the file and no text chunks (no version or time: deterministic)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from survey.report.chart_style import _png

    fig = Figure(figsize=(3, 2), dpi=144, facecolor=facecolor)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.bar([0, 1, 2], [3, 1, 2], color="#1b7837")
    ax.text(1, 2, "12.3%", ha="center")
    ax.scatter([0.5], [2.5], s=300, alpha=0.35)
    saved = io.BytesIO()
    fig.savefig(saved, format="png", dpi=144, metadata={"Software": None, "Creation Time": None})
    ours = _png(fig, 144)
    theirs = Image.open(saved)
    mine = Image.open(io.BytesIO(ours))
    assert mine.mode == ("RGB" if facecolor == "white" else "RGBA") and theirs.mode == "RGBA"
    assert np.array_equal(np.asarray(mine.convert("RGBA")), np.asarray(theirs))
    assert mine.info["dpi"] == pytest.approx((144, 144), abs=0.01) and set(mine.info) == {"dpi"}
    assert _png(fig, 144) == ours
