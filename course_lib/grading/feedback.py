"""``--feedback DIR``: one self-contained HTML page per submission, for the student.

Each page shows, per item: the score, the hidden cases' summary (pass/fail counts,
shapes and the named mistake only, as in the CSV), every public case with its
inputs, the expected and the returned values, the hint, and the learner's own
traceback when the function raised. Cells that failed, timed out or killed the
kernel are listed with their traceback. Hidden inputs and outputs never appear:
the page is built from the same value-free hidden summary as the CSV, plus the
public cases, whose answers are in the exercise notebook anyway.

Everything that comes from the submission (its name, messages, tracebacks) is
HTML-escaped; the page has no script and loads nothing. File names come from
:func:`report.output_names`, safe whatever the submission is called.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .scoring import ItemResult, PublicCase, SubmissionResult

__all__ = ["feedback_page", "write_feedback"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}.ok{color:#1a7f37}.bad{color:#b42318}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.note{color:#555}"""


def _e(text: object) -> str:
    return html.escape(_ANSI.sub("", str(text)), quote=True)


def _public(case: PublicCase) -> str:
    verdict = '<span class="ok">passed</span>' if case.passed else '<span class="bad">failed</span>'
    rows = [f"<h4>{_e(case.label)}: {verdict}</h4>", "<table>",
            f"<tr><th>input</th><td><pre>{_e(case.inputs)}</pre></td></tr>",
            f"<tr><th>expected</th><td><pre>{_e(case.expected)}</pre></td></tr>"]
    if case.got:
        rows.append(f"<tr><th>returned</th><td><pre>{_e(case.got)}</pre></td></tr>")
    if case.message:
        rows.append(f"<tr><th>why</th><td>{_e(case.message)}</td></tr>")
    rows += [f"<tr><th>likely mistake</th><td>{_e(m)}</td></tr>" for m in case.mistakes]
    rows.append("</table>")
    if case.traceback:
        rows.append(f"<p>Your function's traceback:</p><pre>{_e(case.traceback)}</pre>")
    return "\n".join(rows)


def _item(row: ItemResult) -> str:
    cls = "ok" if row.status == "ok" else "bad"
    score = f"{row.score:g} / {row.max_score:g}"
    parts = [f'<h2>{_e(row.item or "submission")}: <span class="{cls}">{score}</span></h2>',
             f"<p>{_e(row.message)}</p>"]
    if row.hint:
        parts.append(f'<p class="note">Hint: {_e(row.hint)}</p>')
    if row.public:
        parts.append("<h3>Public cases (the ones <code>check()</code> runs; not scored)</h3>")
        parts += [_public(c) for c in row.public]
    return "\n".join(parts)


def _cells(result: SubmissionResult) -> str:
    if not result.cells:
        return ""
    parts = ["<h2>Code cells that did not run cleanly</h2>"]
    for cell in result.cells:
        parts.append(f"<h4>code cell {_e(cell.get('cell', '?'))}: {_e(cell.get('status', ''))}</h4>"
                     f"<p>{_e(cell.get('error', ''))}</p>")
        if cell.get("traceback"):
            parts.append(f"<pre>{_e(cell['traceback'])}</pre>")
    return "\n".join(parts)


def feedback_page(result: SubmissionResult) -> str:
    """The HTML page for one submission."""
    title = f"Feedback: {result.submission.name}"
    notes = "".join(f"<li>{_e(n)}</li>" for n in result.notes)
    total = f"{result.score:g} / {result.max_score:g}"
    body = [f"<h1>{_e(title)}</h1>", f"<p>Total: <strong>{total}</strong></p>",
            '<p class="note">Scores count hidden cases only: their inputs and answers are not shown. '
            "Public cases are shown in full.</p>"]
    if notes:
        body.append(f"<ul>{notes}</ul>")
    body += [_item(r) for r in result.items]
    body.append(_cells(result))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" "
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_feedback(result: SubmissionResult, folder: Path, name: str) -> Path:
    """Write ``folder/<name>.html`` (``name`` from :func:`report.output_names`); returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.html"
    target.write_text(feedback_page(result), encoding="utf-8")
    return target
