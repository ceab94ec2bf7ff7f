"""The chapters in JupyterLab, opened as a learner would: rendered MyST, and a clean checkout.

Starts ``jupyter lab`` on 127.0.0.1 with a token (settings, workspaces and
runtime files in a temporary folder, nothing fetched from the network), opens
two chapters in headless Chromium (Debian's ``chromium``), waits for each
kernel, saves the notebook as autosave would, and asserts that the file on disk
is byte for byte the committed one: reading a chapter must leave ``git status``
clean. One
chapter is also checked for rendered MyST (jupyterlab-myst): no raw roles,
directives or labels in the text, admonitions drawn as boxes, numbered
equations and resolved equation references. A screenshot goes to
``_build/screenshots/lab_*.png``.

Run by ``make lab-test`` (part of ``make test``); about half a minute.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.name for p in (ROOT / "book").glob("[0-9]*.ipynb"))
# Opened in the browser: the first chapter and the largest (the one autosave once grew
# to 1.9 MB). test_notebook_metadata.py checks the same metadata of every notebook, fast.
OPENED = ["01_introduction.ipynb", "05_optimizers.ipynb"]
SHOTS = ROOT / "_build" / "screenshots"
# What the notebook view needs to show every cell at once (JupyterLab renders only the
# visible cells by default) and to keep its news pop-up out of the screenshot.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server: its URL, token, and a small REST client."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def last_modified(self, rel: str) -> str:
        return self.api(f"contents/{rel}?content=0")["last_modified"]

    def shut_down_kernels(self) -> None:
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    for rel, value in LAB_SETTINGS.items():
        (home / "settings" / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / rel).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "run"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "ws"),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")  # fmt: skip
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={ROOT}", "--LabApp.news_url=None",
               "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # fmt: skip
    if os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    instance = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                instance.api("status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start:\n{(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield instance
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _open(browser, lab: Lab, rel: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    origin = lab.base

    def only_localhost(route):  # the learner's JupyterLab needs no other host
        (route.continue_ if route.request.url.startswith(origin) else route.abort)()

    page.route("**/*", only_localhost)
    # `reset`: a fresh workspace, with only this notebook open (not the tabs of earlier tests).
    page.goto(f"{lab.base}/lab/tree/{rel}?token={lab.token}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=60_000)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=60_000)  # the kernel is up
    page.evaluate(KERNEL_INFO_APPLIED, rel)
    return page


# Resolves once the kernel's spec and info have reached the notebook's metadata (which is
# what could make it dirty): the notebook panel's own callbacks on those promises were
# registered first, so they have run when ours do; the tabs show it in the next frames.
KERNEL_INFO_APPLIED = """async path => {
  const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.context && w.context.path === path);
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  await kernel.spec;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""


@pytest.fixture(scope="module")
def opened(browser, lab):
    """``opened(rel)``: the page with chapter ``rel`` open in JupyterLab, its kernel up.

    One chapter is open at a time; asked for the chapter already open, it returns
    that page (the MyST test reads the chapter the save test just saved: one
    JupyterLab start and one kernel start fewer).
    """
    current: dict[str, object] = {}

    def close() -> None:
        for page in current.values():
            page.close()
        current.clear()
        lab.shut_down_kernels()

    def open_chapter(rel: str):
        if rel not in current:
            close()
            current[rel] = _open(browser, lab, rel)
        return current[rel]

    yield open_chapter
    close()


@pytest.fixture
def restore_chapter():
    """Put back any chapter a failing test changed, and drop the checkpoints it made."""
    saved = {name: (ROOT / "book" / name).read_bytes() for name in CHAPTERS}
    had_checkpoints = (ROOT / "book" / ".ipynb_checkpoints").exists()
    yield
    for name, data in saved.items():
        if (ROOT / "book" / name).read_bytes() != data:
            (ROOT / "book" / name).write_bytes(data)
    if not had_checkpoints:
        shutil.rmtree(ROOT / "book" / ".ipynb_checkpoints", ignore_errors=True)


@pytest.mark.parametrize("chapter", OPENED)
def test_opening_and_saving_a_chapter_leaves_it_unchanged(lab, opened, chapter, restore_chapter):
    rel, path = f"book/{chapter}", ROOT / "book" / chapter
    committed, status = path.read_bytes(), _git_status(rel)
    before = lab.last_modified(rel)
    page = opened(rel)
    # Nothing to autosave: the kernelspec and language_info JupyterLab sets are the committed ones.
    dirty = page.locator(".jp-mod-current.jp-mod-dirty, .lm-TabBar-tab.jp-mod-dirty").count()
    assert dirty == 0, f"{chapter} is modified as soon as JupyterLab opens it"
    # Save anyway, as File > Save (Ctrl+S) does: what autosave would write.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    deadline = time.monotonic() + 20
    while lab.last_modified(rel) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lab.last_modified(rel) != before, "the save did not happen"
    assert path.read_bytes() == committed, (
        f"JupyterLab's save changed {chapter}:\n" + _git_diff(rel))
    assert _git_status(rel) == status, f"reading {chapter} changed `git status` of book/"


def _git_diff(rel: str) -> str:
    if shutil.which("git") is None:
        return "(git not found)"
    return subprocess.run(["git", "-C", str(ROOT), "diff", "--", rel], capture_output=True, text=True,
                          check=False).stdout[:3000]  # fmt: skip


def _git_status(rel: str) -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return ""
    folder = str(Path(rel).parent)
    return subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", folder],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


RAW_MYST = {
    "a role ({term}, {doc}, {ref}, {eq}, {cite}, ...)": re.compile(r"\{[a-z:]+\}`"),
    "a directive fence": re.compile(r"```\s*\{"),
    "a (label)= target": re.compile(r"^\([A-Za-z][\w-]*\)=\s*$", re.M),
    "a $$ ... $$ (label) equation label": re.compile(r"\$\$\s*\([\w-]+\)"),
}


def test_chapters_link_to_each_other_with_links_jupyterlab_follows():
    """A {doc} role becomes a link to nowhere in JupyterLab; a Markdown link to the file works
    there and in the book (where MyST makes it a cross-reference)."""
    sources = {p.name: p.read_text() for p in (ROOT / "book").glob("*.ipynb")}
    sources.update({p.name: p.read_text() for p in (ROOT / "book").glob("*.md")})
    with_doc = sorted(name for name, text in sources.items() if "{doc}`" in text)
    assert not with_doc, f"{with_doc} use {{doc}}: write [Title](file.ipynb) instead"


def test_myst_renders_in_jupyterlab(opened, restore_chapter):
    chapter = "book/05_optimizers.ipynb"
    source = json.loads((ROOT / chapter).read_text())
    markdown = "\n".join("".join(c["source"]) for c in source["cells"] if c["cell_type"] == "markdown")
    # The chapter uses every construct checked below.
    assert all(pattern.search(markdown) for pattern in list(RAW_MYST.values())[:3]), "pick another chapter"
    page = opened(chapter)
    # The rendered cells (each keeps its hidden source editor beside them).
    text = page.evaluate("() => [...document.querySelectorAll("
                         "'.jp-MarkdownCell .jp-InputArea > :not(.jp-InputArea-editor)')]"
                         ".map(c => c.innerText).join('\\n')")  # fmt: skip
    labels = re.findall(r"^\(([\w-]+)\)=\s*$", markdown, re.M)
    assert labels and not [label for label in labels if f"({label})=" in text], "a target shows"
    for what, pattern in RAW_MYST.items():
        found = pattern.findall(text)
        assert not found, f"JupyterLab shows {what} as raw text: {found[:5]}"
    # Admonitions are boxes with their titles; labelled equations carry numbers, and {eq}
    # references show them.
    boxes = page.locator(".jp-MarkdownCell aside")
    assert boxes.count() == markdown.count("```{admonition}") + len(re.findall(r"```\{(note|tip)\}",
                                                                               markdown))  # fmt: skip
    assert "Sum or mean?" in boxes.first.inner_text()
    labelled = len(re.findall(r"\$\$\s*\([\w-]+\)", markdown))
    numbers = page.locator('.jp-MarkdownCell a[title="Link to this Equation"]').all_inner_texts()
    assert labelled > 0 and numbers == [f"({i})" for i in range(1, labelled + 1)]
    assert re.search(r"mean of\s*\(\d+\)", text), "an {eq} reference is not resolved"
    # {term} is drawn as a link (with no glossary in the notebook, it leads nowhere: the
    # book's glossary page has the entry); {cite} keeps its key (jupyterlab-myst does not
    # read references.bib: the book's bibliography page has the entry).
    assert page.locator(".jp-MarkdownCell a", has_text="learning rate").count() > 0
    assert page.locator(".jp-MarkdownCell .cite-group").count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    boxes.first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "lab_05_optimizers.png"))
    # A link to another chapter opens that chapter in a new tab (last: it changes the page).
    links = page.locator('.jp-MarkdownCell a[href*=".ipynb"]')
    assert links.count() > 0, "no link to another chapter"
    target = re.search(r"/files/book/([\w.-]+\.ipynb)", links.first.get_attribute("href"))
    assert target and (ROOT / "book" / target[1]).exists(), links.first.get_attribute("href")
    links.first.scroll_into_view_if_needed()
    links.first.click()
    page.wait_for_selector(f'.lm-TabBar-tab.lm-mod-current >> text="{target[1]}"', timeout=30_000)
