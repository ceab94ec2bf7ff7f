# Every target installs what it needs into a local virtual environment (.venv).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test lint unit nbval site pdf pdf-test lab lab-test bench bench-grading bench-run-all book serve repo-url vendor notebooks exercises exercises-check clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(PY) -m ruff check course_lib tests tools bench

## Unit, property and PyTorch-reference tests of course_lib, and the widgets' compute functions.
unit: install
	$(PY) -m pytest -n 2 --durations=15 tests --ignore=tests/test_site.py --ignore=tests/test_pdf.py --ignore=tests/test_lab.py

## Re-run every chapter notebook and compare with its committed outputs (nbval strict).
nbval: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadscope --nbval --nbval-current-env -p no:cacheprovider book

## The built site in headless Chromium, served on localhost (needs Debian's chromium).
site: book
	$(PY) -m pytest tests/test_site.py

## Two chapters opened and saved in JupyterLab in headless Chromium: the checkout stays clean,
## MyST renders (jupyterlab-myst). About half a minute.
lab-test: install
	$(PY) -m pytest tests/test_lab.py

## Everything CI runs: lint, unit tests, notebooks, JupyterLab, then build the site and test it
## in a browser, then print the book to PDF and check it.
test: lint unit nbval lab-test site pdf-test

## JupyterLab for reading and running the chapters; its kernels use one BLAS thread
## (on 2 cores, chapter 6's Run All took 335 s with the default threads, 35 s with one).
lab: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/jupyter lab

VENDOR := _build/vendor

## JavaScript the offline site needs (MathJax), from npm.
$(VENDOR)/.done: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp -r web/node_modules/mathjax/es5 $(VENDOR)/mathjax
	touch $@

vendor: $(VENDOR)/.done

## The main job: build the book's static site (warnings are errors), with its
## kernel-free explorers: every reachable picture precomputed (course_lib/widgets/site.py).
## REPO_URL=https://github.com/OWNER/REPO adds the repository, issues and launch buttons.
REPO_URL ?=
book: install vendor
	REPO_URL="$(REPO_URL)" $(VENV)/bin/jupyter-book build --warningiserror --keep-going .
	rm -rf _build/html/vendor && cp -r $(VENDOR) _build/html/vendor && rm _build/html/vendor/.done
	rm -rf _build/html/explorers
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m course_lib.widgets.site _build/html --jobs 2
	@echo "The site is in _build/html: run \`make serve\` and open http://localhost:$(PORT)/ (opened as a file, its search breaks)"

## Serve the built site on this machine only (the search needs http://, not file://).
PORT ?= 8000
serve:
	@test -f _build/html/index.html || { echo "No site yet: run \`make book\` first"; exit 1; }
	@echo "Serving _build/html at http://localhost:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

## Write the repository URL into every chapter's Colab install cell (tools/set_repo_url.py).
repo-url: install
	@test -n "$(REPO_URL)" || { echo "usage: make repo-url REPO_URL=https://github.com/OWNER/REPO"; exit 1; }
	$(PY) tools/set_repo_url.py "$(REPO_URL)"

## The whole book as one PDF, offline: Sphinx's single-page HTML printed by the
## headless Chromium the tests use (tools/make_pdf.py). No LaTeX needed.
pdf: install vendor
	$(VENV)/bin/jupyter-book build --builder singlehtml --warningiserror --keep-going .
	rm -rf _build/singlehtml/vendor && cp -r $(VENDOR) _build/singlehtml/vendor && rm _build/singlehtml/vendor/.done
	$(PY) -m tools.make_pdf _build/singlehtml _build/pdf/book.pdf

## The PDF opened with pypdf: every chapter's title, its outline and internal links.
pdf-test: pdf
	$(PY) -m pytest tests/test_pdf.py

## Re-execute the chapter notebooks in place (after editing one).
notebooks: install
	$(PY) tools/execute_notebooks.py

## Regenerate exercises/ from solutions/ (the only files authors edit).
exercises: install
	$(PY) -m course_lib.grading generate

## Fail when exercises/ is out of date with solutions/.
exercises-check: install
	$(PY) -m course_lib.grading generate --check

## Grading speed: 40 solved notebooks with --jobs 1 and 2, and on Dask with 1 and 2 local workers.
bench-grading: install
	$(PY) bench/grade_speed.py

## Run All of every chapter as a learner's kernel runs it (one BLAS thread): seconds per chapter.
bench-run-all: install
	$(PY) bench/run_all.py

## The speed benchmark (prints ms/epoch and ratios; see README "Performance").
bench: install
	$(PY) bench/train_speed.py

clean:
	rm -rf $(VENV) _build .pytest_cache .hypothesis .ruff_cache
