"""Figures' text alternatives (course_lib/plots/_describe.py), in a notebook and on the site."""

from __future__ import annotations

import base64
import io
import json
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from nbclient import NotebookClient
from PIL import Image

from course_lib.plots import describe_figure, new_axes, panel_layout, set_description, small_multiples


def test_a_panel_names_its_title_content_axes_and_legend():
    fig, (ax,) = new_axes()
    ax.plot([0, 10, 20], [2.3, 0.5, 0.1], label="train")
    ax.plot([0, 10, 20], [2.3, 0.7, 0.4], label=r"validation, $\eta=0.1$")
    ax.set(title="Learning curves", xlabel="epoch", ylabel="loss", yscale="log")
    ax.legend()
    text = describe_figure(fig)
    assert text.startswith("Figure. “Learning curves”: 2 lines;")
    assert "x: epoch from" in text and "y: loss from" in text and "log scale" in text
    assert text.endswith("legend: train, validation, eta=0.1.")
    assert "Figure size" not in text


def test_mathtext_is_said_in_words():
    fig, (ax,) = new_axes()
    ax.plot([1, 2], [1, 2])
    ax.set(xlabel=r"batch size $B$", ylabel=r"$\frac{\sigma^2}{B}\,\|\bar g\|$", title=r"$\eta = 0.1$")
    text = describe_figure(fig)
    assert "“eta = 0.1”" in text and "x: batch size B from" in text
    assert "y: (sigma^2)/(B) |g-bar| from" in text and "\\" not in text and "$" not in text


def test_each_panel_is_described_and_colour_bars_are_not_panels():
    fig, axes = new_axes(2)
    x, y = np.meshgrid(np.linspace(-2, 2, 20), np.linspace(-1, 1, 20))
    filled = axes[0].contourf(x, y, x**2 + 3 * y**2)
    fig.colorbar(filled, ax=axes[0])
    axes[1].scatter([0.0, 1.0], [1.0, 0.0])
    axes[1].bar([0, 1, 2], [3, 1, 2])
    fig.suptitle("Two views")
    text = describe_figure(fig)
    assert text.startswith("Figure: Two views. 2 panels. Panel 1, filled contour; x: from -2 to 2;")
    assert "Panel 2, 3 bars and scatter;" in text
    assert "Panel 3" not in text


def test_small_multiples_hidden_cells_are_skipped():
    fig = small_multiples(lambda k, ax: ax.plot([0, 1], [0, k]), [1, 2, 3], ["a", "b", "c"], ncols=2)
    text = describe_figure(fig)
    assert text.count("Panel ") == 3 and "“c”" in text


def test_any_figure_of_several_panels_has_a_layout_and_a_colour_bar_joins_its_panel():
    fig, axes = new_axes(2, width=3.0)
    x, y = np.meshgrid(np.linspace(-2, 2, 20), np.linspace(-1, 1, 20))
    fig.colorbar(axes[0].contourf(x, y, x**2 + y**2), ax=axes[0])
    axes[1].plot([0, 1], [1, 0])
    twin = axes[1].twinx()
    twin.plot([0, 1], [5, 7])
    layout = panel_layout(fig)
    assert len(layout["panels"]) == 2  # the twin lies on its panel, the colour bar beside the first
    (left, right) = (p["box"] for p in layout["panels"])
    assert left[2] <= right[0] + 15  # side by side (the crops keep a few pixels of margin)
    assert left[2] - left[0] > 0.45 * fig.bbox.width, "the first panel's box must hold its colour bar"
    one, (ax,) = new_axes()
    ax.plot([0, 1], [0, 1])
    assert panel_layout(one) is None


def test_an_own_description_wins_and_bad_ones_are_refused():
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert set_description(fig, "  The loss falls.  ") is fig
    assert describe_figure(fig) == "The loss falls."
    with pytest.raises(ValueError, match="non-empty"):
        set_description(fig, " ")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        describe_figure("not a figure")


def test_a_drawing_without_axes_is_described_by_its_own_text():
    from course_lib.autodiff import Tensor
    from course_lib.autodiff.graph import trace
    from course_lib.plots.backpropagation import draw_computational_graph

    fig, (ax,) = new_axes()
    x = Tensor(np.array(2.0), requires_grad=True)
    y = x * x + 1.0
    y.backward()
    draw_computational_graph(ax, *trace(y))
    text = describe_figure(fig)
    assert text.startswith("Figure. A computational graph of") and "arrows" in text


NOTEBOOK_CELL = textwrap.dedent("""
    from course_lib.plots import new_axes, use_book_style
    use_book_style()
    fig, (ax,) = new_axes()
    ax.plot([0, 1, 2], [3.0, 1.0, 0.5])
    ax.set(title="Loss", xlabel="step", ylabel="loss")
""")
GRID_CELL = textwrap.dedent("""
    from course_lib.plots import small_multiples
    fig = small_multiples(lambda k, ax: ax.plot([0, 1, 2], [0, k, 2 * k]), [1, 2, 3], ["one", "two", "three"],
                          ncols=2, suptitle="Three slopes")
""")


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[Path, nbformat.NotebookNode]:
    """A one-cell notebook run in a real kernel, as a chapter is."""
    folder = tmp_path_factory.mktemp("book")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A chapter"),
                                         nbformat.v4.new_code_cell(NOTEBOOK_CELL),
                                         nbformat.v4.new_code_cell(GRID_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (folder / "book").mkdir()  # a chapter sits in a folder, as the book's do
    nbformat.write(nb, folder / "book" / "chapter.ipynb")
    return folder, nb


def test_in_a_notebook_the_png_and_the_plain_text_carry_the_description(executed):
    _, nb = executed
    (output,) = [o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})]
    with Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"]))) as img:
        description = img.info["Description"]
    assert description.startswith("Figure. “Loss”: line; x: step from")
    assert output["data"]["text/plain"] == description


def _png(output) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))


def test_a_grid_of_panels_carries_where_each_panel_is(executed):
    _, nb = executed
    (output,) = [o for o in nb.cells[2].outputs if "image/png" in o.get("data", {})]
    with _png(output) as img:
        layout = json.loads(img.info["Panels"])
        width, height = img.size
        crops = [img.crop(tuple(p["box"])) for p in layout["panels"]]
    assert layout["title"] == "Three slopes"
    assert [p["alt"].split(":")[0] for p in layout["panels"]] == ["“one”", "“two”", "“three”"]
    for panel, crop in zip(layout["panels"], crops, strict=True):
        left, top, right, bottom = panel["box"]
        assert 0 <= left < right <= width and 0 <= top < bottom <= height
        assert 150 < right - left < width * 0.6, "a panel's box should hold one panel of the 2-column grid"
        assert len(crop.getcolors(maxcolors=1 << 16) or range(3)) > 2, "a panel's crop is blank"
    (a, b, c) = (p["box"] for p in layout["panels"])
    assert a[2] <= b[0] + 10 and a[3] <= c[1] + 10  # two panels side by side, the third below


def test_a_grid_of_panels_is_saved_whole_and_drawn_once():
    # The grid's PNG is the whole figure (its panel boxes are in its pixels): the same pixels
    # as IPython's print_figure without a crop, from the one draw panel_layout already made.
    from unittest import mock

    from IPython.core.pylabtools import print_figure

    from course_lib.plots._style import _png_with_description

    fig = small_multiples(lambda k, ax: ax.plot([0, 1, 2], [0, k, 2 * k]), [1, 2, 3], ["one", "two", "three"])
    canvas = type(fig.canvas)
    with mock.patch.object(canvas, "draw", autospec=True, side_effect=canvas.draw) as draw:
        ours = _png_with_description(fig, bbox_inches="tight")
    assert draw.call_count == 1
    theirs = print_figure(fig, fmt="png", base64=True, bbox_inches=None)
    with _png({"data": {"image/png": ours}}) as a, _png({"data": {"image/png": theirs}}) as b:
        assert a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))
        assert a.info["Description"] == describe_figure(fig) and json.loads(a.info["Panels"])["panels"]


def test_on_the_site_the_description_is_the_alt_text(executed, tmp_path):
    from sphinx.application import Sphinx

    src, _ = executed
    ext = Path(__file__).resolve().parents[1] / "book" / "_ext"
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ext)!r})\n"
        "extensions = ['myst_nb', 'site_fixes']\nnb_execution_mode = 'off'\nroot_doc = 'book/chapter'\n")
    app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                 status=None, warning=io.StringIO(), freshenv=True)
    app.build()
    html = (tmp_path / "html" / "book" / "chapter.html").read_text()
    assert 'alt="Figure. “Loss”: line; x: step from' in html
    assert ".png\"" not in html.split("alt=")[1].split(" src=")[0]
    # The grid is shown whole, and cut into its panels for phones (site.css picks one).
    assert html.count('class="course-panels-whole') == 1
    panels = html.split('<div class="course-panels')[1]
    assert "Three slopes" in panels and panels.count("<img") >= 3
    assert 'alt="“three”: line;' in panels
    assert len(list((tmp_path / "html" / "_images").glob("*-panel3.png"))) == 1
