"""How fast each book widget redraws after a slider change (target: median < 100 ms).

For every explorer in the book, and every control of it, the benchmark moves the
control through several of its values, the others staying at their defaults, and
times one full redraw per move, the same one ``Explorer.figure`` makes: the
compute function, the draw function, and rendering the figure to the PNG the
widget displays (``Explorer.render``), reported in total and split.
Each value is seen for the first time ("cold"), so caches inside the compute
functions do not flatter the figures; a second pass over the same values shows
the warm (cached) time. The "built" column is what an explorer costs once, before
the first slider move: its first figure, which solves the layout every later
figure reuses, and for the explorers that train a model, every slider value
precomputed.

    python bench/widget_speed.py

Times come from this one run on this machine; nothing here asserts on time.
"""

from __future__ import annotations

import statistics
import time

from course_lib import plots
from course_lib.widgets import book_explorers
from course_lib.widgets._explorer import sample_values

TARGET_MS = 100.0


def redraw_ms(explorer, **change) -> tuple[float, float, float]:
    """Milliseconds for (compute, draw, render to PNG) of one redraw."""
    t0 = time.perf_counter()
    result = explorer.result(**change)
    t1 = time.perf_counter()
    explorer.figure_for(result)
    t2 = time.perf_counter()
    explorer.render()  # exactly the PNG the widget sends to the notebook
    t3 = time.perf_counter()
    return (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3


def main() -> None:
    plots.use_book_style()
    print(f"{'ch':>2}  {'widget':<18} {'built':>7} {'moves':>5} {'cold median':>12} {'cold max':>9} "
          f"{'warm median':>12}   median split compute/draw/render   target {TARGET_MS:.0f} ms")
    medians = []
    for name, (chapter, factory) in book_explorers().items():
        start = time.perf_counter()
        explorer = factory()  # some explorers precompute their results here
        explorer.figure()  # the first figure solves the layout, once per explorer
        built = time.perf_counter() - start
        changes = [{key: v} for key, c in explorer.controls.items() for v in sample_values(c)]
        cold = [redraw_ms(explorer, **change) for change in changes]
        warm = [sum(redraw_ms(explorer, **change)) for change in changes]
        totals = [sum(parts) for parts in cold]
        med = statistics.median(totals)
        medians.append(med)
        split = "/".join(f"{statistics.median(p[i] for p in cold):.0f}" for i in range(3))
        verdict = "ok" if med < TARGET_MS else "SLOW"
        print(f"{chapter:>2}  {name:<18} {built:>6.2f}s {len(changes):>5} {med:>10.1f}ms "
              f"{max(totals):>7.1f}ms {statistics.median(warm):>10.1f}ms   {split:>30}   {verdict}")
    print(f"widgets under target (cold median): {sum(m < TARGET_MS for m in medians)}/{len(medians)}")


if __name__ == "__main__":
    main()
