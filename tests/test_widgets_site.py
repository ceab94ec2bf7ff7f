"""The explorers on the static site (course_lib.widgets.site): grids, inactive controls, export.

The browser side (every control moved with the keyboard on the built site) is in
tests/test_site.py; here is what can be checked without a browser.
"""

from __future__ import annotations

import io
import json
import re

import ipywidgets as W
import numpy as np
import PIL.Image
import pytest

from course_lib.widgets import Background, Explorer, book_explorers
from course_lib.widgets import introduction as intro
from course_lib.widgets import optimizers as ow
from course_lib.widgets import regression as rw
from course_lib.widgets.site import SiteBuildError, check_pages, explorer_html, export_explorers

EXPLORERS = book_explorers()
CHEAP = ["learning-rate", "logit", "outlier", "logistic-gd", "gradient-flow", "polynomial-ridge"]


@pytest.fixture(scope="module")
def built():
    return {name: EXPLORERS[name][1]() for name in EXPLORERS}


def test_every_explorer_is_named_as_listed_and_has_a_site_grid(built):
    for name, explorer in built.items():
        assert explorer.name == name
        grids = explorer.site_grid()
        assert list(grids) == list(explorer.controls), f"{name}: a control has no site grid"
        for control, values in grids.items():
            assert len(values) >= 2, f"{name}.{control}: a grid of one value cannot move"
            assert explorer.controls[control].value in values


def _line(lr: float, n: int = 0) -> float:
    return lr + n


def _explorer(**options) -> Explorer:
    controls = {"lr": W.FloatSlider(value=0.5, min=0.0, max=1.0), "n": W.IntSlider(value=1, min=0, max=3)}
    return Explorer(_line, lambda r, ax: ax.plot([0, 1], [0, r]), controls, name="toy", **options)


def test_a_continuous_slider_without_a_grid_is_refused_by_name():
    with pytest.raises(ValueError, match="'lr'.*needs a declared grid"):
        _explorer(grid={"n": [0, 1]}).site_grid()


@pytest.mark.parametrize("grid, problem", [
    ({"lr": [0.5, 2.0], "n": [1]}, "outside its range"),
    ({"lr": [0.1, 0.2], "n": [1]}, "lacks its default"),
    ({"lr": [0.5, 0.5], "n": [1]}, "repeats a value"),
    ({"lr": [], "n": [1]}, "empty"),
])
def test_bad_grids_are_refused(grid, problem):
    with pytest.raises(ValueError, match=problem):
        _explorer(grid=grid).site_grid()


def test_unknown_names_in_grid_inactive_or_background_are_refused():
    with pytest.raises(ValueError, match="unknown controls"):
        _explorer(grid={"momentum": [0.0]})
    with pytest.raises(ValueError, match="unknown controls"):
        _explorer(background=Background(("surface",), lambda r, ax: None))
    explorer = _explorer(grid={"lr": [0.5], "n": [1]}, inactive=lambda lr, n: {"beta": "no"})
    with pytest.raises(ValueError, match="unknown controls"):
        explorer.inactive_controls()


def test_the_lessons_survive_the_grids(built):
    # Chapter 1: gradient descent on the line converges, zig-zags and diverges on the grid.
    lr_explorer = built["learning-rate"]
    regimes = {lr_explorer.result(lr=lr).regime for lr in lr_explorer.site_grid()["lr"]}
    assert len(regimes) >= 3, regimes
    assert any("diverg" in r for r in regimes), regimes
    # Chapter 2: a learning rate of the grid makes GD on the raw line diverge, another converge.
    path = built["linear-gd-path"]
    diverging = [path.result(lr=lr, standardize=False).diverging for lr in path.site_grid()["lr"]]
    assert any(diverging) and not all(diverging)
    # Chapter 5: GD on the quadratic converges at 0.079 and diverges at 0.085, both on the grid.
    paths = built["optimizer-paths"]
    grid = paths.site_grid()["lr"]
    assert 0.079 in grid and 0.085 in grid
    assert not paths.result(optimizer="GD", lr=0.079).diverged
    assert paths.result(optimizer="GD", lr=0.085).diverged


@pytest.mark.parametrize("name, inactive_at, control, values", [
    ("optimizer-paths", {"optimizer": "GD"}, "beta", [0.0, 0.5, 0.99]),
    ("optimizer-paths", {"optimizer": "RMSprop", "lr": 0.01}, "beta", [0.5, 0.9]),
    ("optimizer-paths", {"optimizer": "Adagrad", "lr": 0.3}, "beta", [0.0, 0.9]),
    ("logistic-gd", {"n_iter": 0}, "lr", [0.01, 1.0, 10.0]),
])
def test_an_inactive_control_truly_changes_nothing(built, name, inactive_at, control, values):
    explorer = built[name]
    assert control in explorer.inactive_controls(**inactive_at)
    pictures = {explorer.png(**inactive_at, **{control: v}) for v in values}
    assert len(pictures) == 1


@pytest.mark.parametrize("name, active_at, control", [
    ("optimizer-paths", {"optimizer": "Momentum"}, "beta"),
    ("optimizer-paths", {"optimizer": "Nesterov"}, "beta"),
    ("optimizer-paths", {"optimizer": "Adam"}, "beta"),
    ("logistic-gd", {"n_iter": 1}, "lr"),
])
def test_the_same_control_is_active_elsewhere(built, name, active_at, control):
    assert control not in built[name].inactive_controls(**active_at)


def test_nesterov_without_momentum_is_plain_gd():
    gd = ow.optimizer_trajectory("GD", lr=0.03)
    nesterov = ow.optimizer_trajectory("Nesterov", lr=0.03, beta=0.0)
    np.testing.assert_array_equal(gd.path, nesterov.path)


def test_explorer_html_has_a_labelled_control_per_control_and_the_first_picture(built):
    explorer = built["optimizer-paths"]
    page = explorer_html(explorer)
    grids = explorer.site_grid()
    for name in explorer.controls:
        cid = f"ce-optimizer-paths-{name}"
        assert f'id="{cid}"' in page and f'<label for="{cid}">' in page
    lr = re.search(r'<input type="range" id="ce-optimizer-paths-lr"[^>]*>', page).group(0)
    assert f'max="{len(grids["lr"]) - 1}"' in lr
    assert f'value="{grids["lr"].index(0.03)}"' in lr and 'aria-valuetext="0.03"' in lr
    # β is inactive with GD, the default: disabled, and the reason is shown
    beta = re.search(r'<div class="ce-control ce-inactive" title="([^"]+)">.*?id="ce-optimizer-paths-beta"',
                     page)
    assert beta and "no momentum" in beta.group(1)
    assert re.search(r'id="ce-optimizer-paths-beta"[^>]* disabled', page)
    assert 'src="data:image/png;base64,' in page and 'alt="One optimizer on a 2-D loss surface, at' in page


def test_explorer_html_escapes_what_it_shows():
    explorer = Explorer(_line, lambda r, ax: ax.plot([0, 1], [0, r]),
                        {"lr": W.Dropdown(options=[("<b>x</b>", 1.0), ("y", 2.0)], value=1.0,
                                          description='a "b" <c>')},
                        name="toy", title="<script>alert(1)</script>")
    page = explorer_html(explorer)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in page and 'a "b" <c>' not in page


def test_an_explorer_without_a_name_cannot_go_on_the_site():
    explorer = Explorer(_line, lambda r, ax: None, {"lr": W.Dropdown(options=[1.0, 2.0])})
    with pytest.raises(ValueError, match="has no name"):
        explorer_html(explorer)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("site") / "explorers"
    entries = {name: EXPLORERS[name] for name in ("learning-rate", "linear-gd-path")}
    assets = export_explorers(entries, root, jobs=2, log=lambda _: None)
    return root, {a.name: a for a in assets}


def test_export_writes_a_frame_for_every_combination(exported, built):
    root, assets = exported
    for name in ("learning-rate", "linear-gd-path"):
        manifest = json.loads((root / name / "manifest.json").read_text())
        sizes = [len(v) for v in built[name].site_grid().values()]
        assert manifest["sizes"] == sizes
        assert len(manifest["frame"]) == int(np.prod(sizes)) == assets[name].combinations
        frames = set(manifest["frame"])
        assert frames == set(range(assets[name].frames))
        assert all((root / name / f"f{n}.png").is_file() for n in frames)
        assert manifest["fingerprint"] in explorer_html(built[name])
    # the path explorer ships its contours once per setting of `standardize`
    manifest = json.loads((root / "linear-gd-path" / "manifest.json").read_text())
    assert sorted(set(manifest["background"])) == [0, 1]
    assert assets["linear-gd-path"].backgrounds == 2


def test_a_layered_frame_is_the_full_picture(exported, built):
    root, _ = exported
    manifest = json.loads((root / "linear-gd-path" / "manifest.json").read_text())
    explorer = built["linear-gd-path"]
    grids = explorer.site_grid()
    combo = {"lr": grids["lr"][4], "n_iter": grids["n_iter"][6], "standardize": True}
    index = np.ravel_multi_index([grids[k].index(v) for k, v in combo.items()], manifest["sizes"])
    frame = manifest["frame"][index]
    bg = PIL.Image.open(root / "linear-gd-path" / f"b{manifest['background'][frame]}.png").convert("RGBA")
    fg = PIL.Image.open(root / "linear-gd-path" / f"f{frame}.png").convert("RGBA")
    composed = np.asarray(PIL.Image.alpha_composite(bg, fg).convert("RGB"), dtype=int)
    full = np.asarray(PIL.Image.open(io.BytesIO(explorer.png(**combo))).convert("RGB"), dtype=int)
    assert composed.shape == full.shape
    # the site's palettes are chosen per image: colours agree to a few levels
    assert np.percentile(np.abs(composed - full), 99.9) <= 16


def test_a_control_that_changes_nothing_fails_the_build(tmp_path):
    def dead() -> Explorer:
        return Explorer(lambda lr, n: lr, lambda r, ax: ax.plot([0, 1], [0, r]),
                        {"lr": W.Dropdown(options=[1.0, 2.0]), "n": W.Dropdown(options=[1, 2, 3])},
                        name="dead")
    with pytest.raises(SiteBuildError, match=r"chapter 9, explorer 'dead': moving 'n'"):
        export_explorers({"dead": (9, dead)}, tmp_path, jobs=1, log=lambda _: None)


def test_a_declared_inactive_control_passes_the_build(tmp_path):
    def honest() -> Explorer:
        return Explorer(lambda lr, n: lr, lambda r, ax: ax.plot([0, 1], [0, r]),
                        {"lr": W.Dropdown(options=[1.0, 2.0]), "n": W.Dropdown(options=[1, 2, 3])},
                        name="honest", inactive=lambda lr, n: {"n": "n is not used"})
    (assets,) = export_explorers({"honest": (9, honest)}, tmp_path, jobs=1, log=lambda _: None)
    manifest = json.loads((tmp_path / "honest" / "manifest.json").read_text())
    assert assets.frames == 2 and manifest["reasons"] == [{"n": "n is not used"}]


def test_pages_must_show_the_explorers_that_were_built(tmp_path):
    explorer = intro.learning_rate_explorer(np.linspace(-1, 1, 20), np.linspace(-2, 2, 20))
    (tmp_path / "page.html").write_text(explorer_html(explorer))
    with pytest.raises(SiteBuildError, match="differs from book_explorers"):
        check_pages(tmp_path, {"learning-rate": "0" * 16})
    with pytest.raises(SiteBuildError, match="'logit' is on no page"):
        check_pages(tmp_path, {"learning-rate": re.search(r'fingerprint="(\w+)"',
                                                          explorer_html(explorer)).group(1),
                               "logit": "1" * 16})


def test_the_notebook_widget_disables_inactive_controls_with_the_reason():
    explorer = rw.logistic_gd_explorer()
    box = explorer.widget()
    explorer.controls["n_iter"].value = 0
    explorer._show_inactive(explorer.values())
    assert explorer.controls["lr"].disabled and "no step" in explorer.controls["lr"].tooltip
    explorer.controls["n_iter"].value = 10
    explorer._show_inactive(explorer.values())
    assert not explorer.controls["lr"].disabled and explorer.controls["lr"].tooltip is None
    assert "text/html" in box._repr_mimebundle_()
