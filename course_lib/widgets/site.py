"""The book's explorers on the static site, where no kernel runs.

Every :class:`~course_lib.widgets.Explorer` declares the values each of its
controls takes on the site (:meth:`Explorer.site_grid`). When the site is built
(``make book``), :func:`build_site` computes and draws every combination of
those values that a reader can reach, and writes, per explorer,
``explorers/<name>/``:

* ``manifest.json``: the controls, which picture each combination shows, and
  which controls are inactive there (and why);
* ``f<n>.png``: one picture per distinct frame; for an explorer with a
  :class:`~course_lib.widgets.Background`, only the pixels that differ from
  its background ``b<k>.png`` (transparent elsewhere), so that the contours of
  a loss surface, say, are shipped once and not with every path.

The chapter page carries the explorer's controls and first picture
(:func:`explorer_html`, in the notebook's output); ``web/static/explorer.js``
loads the manifest and the pictures when the reader first touches a control.

The build also checks what a reader would otherwise find by hand: that every
active control changes the picture at every step of its grid (a control that
moves and changes nothing is reported with its chapter and name), and that each
page shows the same explorer as :func:`~course_lib.widgets.book_explorers`.

Run ``python -m course_lib.widgets.site SITE_DIR [--jobs 2]`` after the HTML build.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import itertools
import json
import multiprocessing
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

from ..plots import use_book_style
from ._explorer import Explorer, _is_continuous, option_labels
from ._live import encode_rgba

# zlib level of the site's PNGs: a quarter smaller than the live figures' level 1, at 2 ms a frame
_LEVEL = 6

__all__ = ["explorer_html", "fingerprint", "alt_text", "export_explorers", "build_site", "check_pages",
           "SiteBuildError", "ExplorerAssets"]


class SiteBuildError(RuntimeError):
    """An explorer cannot be shown honestly on the site (a dead control, a stale page)."""


# ------------------------------------------------------------------ page markup


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _value_labels(explorer: Explorer, name: str, values: Sequence[Any]) -> list[str]:
    control = explorer.controls[name]
    if _is_continuous(control):
        return [_label(v) for v in values]
    options = [o[1] if isinstance(o, tuple) else o for o in getattr(control, "options", [False, True])]
    labels = option_labels(control)
    return [labels[options.index(v)] for v in values]


def _spec(explorer: Explorer) -> list[dict[str, Any]]:
    """The controls as the site shows them: name, label, kind, value labels, default index."""
    grids = explorer.site_grid()
    spec = []
    for name, control in explorer.controls.items():
        kind = ("checkbox" if type(control).__name__ == "Checkbox"
                else "select" if type(control).__name__ == "Dropdown" else "range")
        spec.append({"name": name, "label": control.description or name, "kind": kind,
                     "values": _value_labels(explorer, name, grids[name]),
                     "default": grids[name].index(explorer.defaults()[name])})
    return spec


def fingerprint(explorer: Explorer, png: bytes | None = None) -> str:
    """A short hash of what the explorer shows first: its controls and its first picture."""
    png = explorer.png(**explorer.defaults()) if png is None else png
    h = hashlib.sha256(json.dumps(_spec(explorer), sort_keys=True).encode())
    h.update(png)
    return h.hexdigest()[:16]


def alt_text(title: str, spec: Sequence[dict[str, Any]], indices: Sequence[int]) -> str:
    """What the picture shows, for readers who cannot see it: the title and every setting."""
    settings = ", ".join(f"{c['label']} {c['values'][i]}" for c, i in zip(spec, indices, strict=True))
    return f"{title or 'Explorer'}, at {settings}"


def explorer_html(explorer: Explorer) -> str:
    """The explorer's controls and first picture, for the static site (a notebook's text/html)."""
    if not explorer.name:
        raise ValueError(f"explorer {explorer.title!r} has no name: give Explorer(name=...)")
    spec = _spec(explorer)
    png = explorer.png(**explorer.defaults())
    inactive = explorer.inactive_controls(**explorer.defaults())
    uid = f"ce-{explorer.name}"
    rows = [_control_html(uid, c, inactive.get(c["name"])) for c in spec]
    width, height = PIL.Image.open(io.BytesIO(png)).size
    alt = alt_text(explorer.title, spec, [c["default"] for c in spec])
    data = base64.b64encode(png).decode()
    return (
        f'<figure class="course-explorer" id="{uid}" data-explorer="{html.escape(explorer.name)}" '
        f'data-fingerprint="{fingerprint(explorer, png)}" data-title="{html.escape(explorer.title)}">\n'
        f'<figcaption class="ce-title">{html.escape(explorer.title)}</figcaption>\n'
        f'<div class="ce-controls">\n{"".join(rows)}</div>\n'
        f'<div class="ce-figure"><img class="ce-frame" src="data:image/png;base64,{data}" '
        f'width="{width}" height="{height}" alt="{html.escape(alt)}"></div>\n'
        '<p class="ce-status" role="status" aria-live="polite"></p>\n'
        "</figure>"
    )


def _control_html(uid: str, c: dict[str, Any], reason: str | None) -> str:
    cid = f"{uid}-{c['name']}"
    disabled = " disabled" if reason else ""
    title = f' title="{html.escape(reason)}"' if reason else ""
    why = f'<span class="ce-reason">{html.escape(reason or "")}</span>'
    label = html.escape(c["label"])
    values = html.escape(json.dumps(c["values"]))
    common = f'id="{cid}" data-control="{html.escape(c["name"])}" data-values="{values}"{disabled}'
    current = html.escape(c["values"][c["default"]])
    if c["kind"] == "checkbox":
        checked = " checked" if c["default"] == 1 else ""
        widget = f'<input type="checkbox" {common}{checked}><label for="{cid}">{label}</label>'
    elif c["kind"] == "select":
        options = "".join(f'<option value="{i}"{" selected" if i == c["default"] else ""}>'
                          f"{html.escape(v)}</option>" for i, v in enumerate(c["values"]))
        widget = f'<label for="{cid}">{label}</label><select {common}>{options}</select>'
    else:
        widget = (f'<label for="{cid}">{label}</label><input type="range" {common} min="0" '
                  f'max="{len(c["values"]) - 1}" step="1" value="{c["default"]}" '
                  f'aria-valuetext="{current}"><output for="{cid}">{current}</output>')
    return f'<div class="ce-control{" ce-inactive" if reason else ""}"{title}>{widget}{why}</div>\n'


# ------------------------------------------------------------- precomputation


@dataclass
class ExplorerAssets:
    """What :func:`build_site` wrote for one explorer, and how big it is.

    ``seconds`` is the time the worker processes spent drawing its frames (they
    draw the next explorers' frames meanwhile, so the build's time is not the sum).
    """

    name: str
    chapter: int
    combinations: int
    frames: int
    backgrounds: int
    bytes: int
    seconds: float


@dataclass
class _Plan:
    """Every combination of one explorer's grid, and the distinct ones to draw."""

    names: list[str]
    grids: list[list[Any]]
    combos: list[tuple[int, ...]]
    drawn_of: dict[tuple[int, ...], tuple[int, ...]]  # combination -> the one drawn for it
    inactive_of: dict[tuple[int, ...], dict[str, str]]

    @property
    def todo(self) -> list[tuple[int, ...]]:
        return sorted(set(self.drawn_of.values()))


def _combos(explorer: Explorer) -> tuple[list[str], list[list[Any]], list[tuple[int, ...]]]:
    grids = explorer.site_grid()
    names = list(grids)
    combos = list(itertools.product(*(range(len(grids[n])) for n in names)))
    return names, [grids[n] for n in names], combos


def _canonical(explorer: Explorer, names: list[str], grids: list[list[Any]],
               combo: tuple[int, ...]) -> tuple[tuple[int, ...], dict[str, str]]:
    """The combination actually drawn for ``combo``: inactive controls at their defaults."""
    values = {n: grids[k][i] for k, (n, i) in enumerate(zip(names, combo, strict=True))}
    inactive = explorer.inactive_controls(**values)
    defaults = explorer.defaults()
    drawn = tuple(grids[k].index(defaults[n]) if n in inactive else i
                  for k, (n, i) in enumerate(zip(names, combo, strict=True)))
    return drawn, inactive


def _plan(explorer: Explorer) -> _Plan:
    names, grids, combos = _combos(explorer)
    plan = _Plan(names, grids, combos, {}, {})
    for combo in combos:
        plan.drawn_of[combo], plan.inactive_of[combo] = _canonical(explorer, names, grids, combo)
    return plan


# The explorers being exported, built before the worker processes are forked: each
# worker inherits them (with any results they precomputed) instead of building its own.
_EXPLORERS: dict[str, Explorer] = {}
_CHUNK = 24  # combinations per task: one background draw per task, and a short last task
# One drawn combination: (combination, hash of its pixels, PNG, background key or None).
_Drawn = tuple[tuple[int, ...], str, bytes, Any]


def _render_chunk(task: tuple[str, list[tuple[int, ...]]]) -> tuple[list[_Drawn], float]:
    """Draw some combinations of one explorer; returns them and the seconds it took."""
    start = time.perf_counter()
    name, chunk = task
    explorer = _EXPLORERS[name]
    names, grids, _ = _combos(explorer)
    backgrounds: dict[tuple, np.ndarray] = {}
    out = []
    for combo in chunk:
        values = {n: grids[k][i] for k, (n, i) in enumerate(zip(names, combo, strict=True))}
        result = explorer.result(**values)
        explorer.figure_for(result)
        full = explorer.render_rgba()
        digest = hashlib.sha256(full.tobytes()).hexdigest()
        if explorer.background is None:
            out.append((combo, digest, encode_rgba(full, _LEVEL), None))
            continue
        key = tuple(values[n] for n in explorer.background.depends_on)
        if key not in backgrounds:
            explorer.figure_for(result, draw=explorer.background.draw)
            backgrounds[key] = explorer.render_rgba()
        out.append((combo, digest, _overlay_png(full, backgrounds[key]), key))
    return out, time.perf_counter() - start


def _overlay_png(full: np.ndarray, background: np.ndarray) -> bytes:
    """The pixels of ``full`` that differ from ``background``; transparent elsewhere."""
    # Each RGBA pixel compared as one 32-bit word: a quarter of the comparisons of a
    # per-channel test, and no reduction over the channel axis.
    differ = full.view(np.uint32) != background.view(np.uint32)
    return encode_rgba(np.where(differ, full, 0).astype(np.uint8), _LEVEL, alpha=True)


def _background_png(explorer: Explorer, key: tuple) -> bytes:
    background = explorer.background
    assert background is not None  # only called for explorers with one
    values = {**explorer.defaults(), **dict(zip(background.depends_on, key, strict=True))}
    explorer.figure_for(explorer.result(**values), draw=background.draw)
    return encode_rgba(explorer.render_rgba(), _LEVEL)


def _dead_controls(names: list[str], sizes: list[int], frame_of: dict[tuple, int],
                   inactive_of: dict[tuple, dict[str, str]]) -> list[tuple[str, tuple]]:
    """(control, combination) where one step of an active control leaves the picture as it was."""
    dead = []
    for combo, frame in frame_of.items():
        for k, name in enumerate(names):
            if combo[k] + 1 >= sizes[k]:
                continue
            step = combo[:k] + (combo[k] + 1,) + combo[k + 1:]
            if (name not in inactive_of[combo] and name not in inactive_of[step]
                    and frame_of[step] == frame):
                dead.append((name, combo))
    return dead


def _check_controls(name: str, chapter: int, plan: _Plan, frame_of: dict[tuple, int]) -> None:
    """Raise :class:`SiteBuildError` if a step of an active control leaves the picture unchanged."""
    dead = _dead_controls(plan.names, [len(g) for g in plan.grids], frame_of, plan.inactive_of)
    if dead:
        lines = [f"chapter {chapter}, explorer {name!r}: moving {control!r} one step from "
                 + ", ".join(f"{n}={plan.grids[k][i]!r}"
                             for k, (n, i) in enumerate(zip(plan.names, combo, strict=True)))
                 + " leaves the picture unchanged" for control, combo in dead[:10]]
        raise SiteBuildError(f"{len(dead)} dead control steps:\n" + "\n".join(lines))


def _write_frames(explorer: Explorer, rendered: list[_Drawn],
                  out: Path) -> tuple[dict[tuple, int], list[int], int]:
    """Write each distinct picture once (``f<n>.png``, ``b<k>.png``).

    Returns the frame of each drawn combination, each frame's background and the
    number of backgrounds.
    """
    out.mkdir(parents=True, exist_ok=True)
    frames: dict[str, int] = {}
    frame_bg: list[int] = []
    bg_index: dict[tuple, int] = {}
    frame_of_drawn: dict[tuple, int] = {}
    for combo, digest, png, key in rendered:
        if digest not in frames:
            frames[digest] = len(frames)
            (out / f"f{frames[digest]}.png").write_bytes(png)
            if key is not None:
                if key not in bg_index:
                    bg_index[key] = len(bg_index)
                    (out / f"b{bg_index[key]}.png").write_bytes(_background_png(explorer, key))
                frame_bg.append(bg_index[key])
        frame_of_drawn[combo] = frames[digest]
    return frame_of_drawn, frame_bg, len(bg_index)


def _write_assets(name: str, chapter: int, explorer: Explorer, plan: _Plan,
                  drawn: list[tuple[list[_Drawn], float]], out: Path) -> ExplorerAssets:
    """Write one explorer's drawn chunks (see :func:`_render_chunk`) into ``out``; check its controls."""
    rendered = [r for part, _ in drawn for r in part]
    frame_of_drawn, frame_bg, backgrounds = _write_frames(explorer, rendered, out)
    frame_of = {combo: frame_of_drawn[plan.drawn_of[combo]] for combo in plan.combos}
    _check_controls(name, chapter, plan, frame_of)
    reasons: list[dict[str, str]] = []
    reason_index = []
    for combo in plan.combos:
        entry = plan.inactive_of[combo]
        if entry not in reasons:
            reasons.append(entry)
        reason_index.append(reasons.index(entry))
    width, height = PIL.Image.open(out / "f0.png").size
    manifest = {
        "name": name, "chapter": chapter, "fingerprint": fingerprint(explorer),
        "controls": plan.names, "sizes": [len(g) for g in plan.grids],
        "frame": [frame_of[c] for c in plan.combos],
        "background": frame_bg if explorer.background is not None else None,
        "inactive": reason_index, "reasons": reasons, "width": width, "height": height,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
    size = sum(p.stat().st_size for p in out.iterdir())
    return ExplorerAssets(name, chapter, len(plan.combos), len(set(frame_of_drawn.values())), backgrounds,
                          size, sum(seconds for _, seconds in drawn))


def export_explorers(entries: Mapping[str, tuple[int, Callable[[], Explorer]]], root: Path, *,
                     jobs: int = 2, log: Callable[[str], None] = print) -> list[ExplorerAssets]:
    """Export explorers (name -> (chapter, factory)) into ``root/<name>/``, ``jobs`` processes drawing.

    Every explorer's pictures are queued at once, so the processes draw without a
    pause between explorers, while this one writes the finished explorers' files.
    """
    use_book_style()
    _EXPLORERS.clear()
    _EXPLORERS.update({name: factory() for name, (_, factory) in entries.items()})
    plans = {name: _plan(explorer) for name, explorer in _EXPLORERS.items()}
    done = []
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        drawing = {name: pool.map_async(_render_chunk, [(name, plan.todo[i:i + _CHUNK])
                                                         for i in range(0, len(plan.todo), _CHUNK)],
                                        chunksize=1)  # one task at a time: no process waits for another
                   for name, plan in plans.items()}
        for name, (chapter, _) in entries.items():
            assets = _write_assets(name, chapter, _EXPLORERS[name], plans[name], drawing[name].get(),
                                   root / name)
            log(f"  {name}: {assets.combinations} combinations, {assets.frames} frames"
                f"{f', {assets.backgrounds} backgrounds' if assets.backgrounds else ''}, "
                f"{assets.bytes / 1e6:.2f} MB, drawn in {assets.seconds:.1f} s")
            done.append(assets)
    return done


def build_site(site: Path, *, jobs: int = 2, names: Sequence[str] | None = None,
               log: Callable[[str], None] = print) -> list[ExplorerAssets]:
    """Write every book explorer's assets under ``site/explorers/`` and check the pages."""
    from . import book_explorers

    explorers = book_explorers()
    unknown = set(names or ()) - set(explorers)
    if unknown:
        raise SiteBuildError(f"no book explorers named {sorted(unknown)}; they are {list(explorers)}")
    chosen = {name: explorers[name] for name in (names if names is not None else explorers)}
    root = site / "explorers"
    done = export_explorers(chosen, root, jobs=jobs, log=log)
    if names is None:
        check_pages(site, {a.name: json.loads((root / a.name / "manifest.json").read_text())["fingerprint"]
                           for a in done})
    return done


_PLACEHOLDER = re.compile(r'data-explorer="([^"]+)" data-fingerprint="([0-9a-f]+)"')


def check_pages(site: Path, fingerprints: dict[str, str]) -> None:
    """Every explorer on a page has assets built from the same explorer; every explorer is shown."""
    seen: set[str] = set()
    problems = []
    for page in sorted(site.rglob("*.html")):
        for name, fp in _PLACEHOLDER.findall(page.read_text(encoding="utf-8")):
            seen.add(name)
            if name not in fingerprints:
                problems.append(f"{page.relative_to(site)} shows explorer {name!r}, which "
                                "book_explorers() does not list")
            elif fingerprints[name] != fp:
                problems.append(f"{page.relative_to(site)}: explorer {name!r} differs from "
                                "book_explorers()' (re-execute the chapter, or make the factory match it)")
    problems += [f"explorer {name!r} is on no page" for name in sorted(set(fingerprints) - seen)]
    if problems:
        raise SiteBuildError("\n".join(problems))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precompute the book's explorers for the static site.")
    parser.add_argument("site", type=Path, help="the built HTML site (e.g. _build/html)")
    parser.add_argument("--jobs", type=int, default=2, help="processes drawing frames (default: 2)")
    parser.add_argument("--only", nargs="*", help="these explorers only (skips the page check)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    start = time.perf_counter()
    print(f"Explorers for the static site -> {args.site / 'explorers'}")
    # Under ``python -m`` this file is ``__main__``; the worker processes must find
    # its functions under the module's own name.
    from course_lib.widgets import site as this

    try:
        assets = this.build_site(args.site, jobs=args.jobs, names=args.only)
    except this.SiteBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    total = sum(a.bytes for a in assets)
    print(f"{len(assets)} explorers, {sum(a.frames for a in assets)} frames, {total / 1e6:.1f} MB "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
