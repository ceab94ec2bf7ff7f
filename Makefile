# Every target installs what it needs into a local virtual environment (.venv).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test lint unit nbval site lab lab-test bench bench-grading bench-run-all book vendor notebooks exercises exercises-check clean

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
	$(PY) -m pytest -n 2 tests --ignore=tests/test_site.py --ignore=tests/test_lab.py

## Re-run every chapter notebook and compare with its committed outputs (nbval strict).
nbval: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadscope --nbval --nbval-current-env -p no:cacheprovider book

## The built site in headless Chromium, served on localhost (needs Debian's chromium).
site: book
	$(PY) -m pytest tests/test_site.py

## Two chapters opened and saved in JupyterLab in headless Chromium: the checkout stays clean,
## MyST renders (jupyterlab-myst). About a minute.
lab-test: install
	$(PY) -m pytest tests/test_lab.py

## Everything CI runs: lint, unit tests, notebooks, JupyterLab, then build the site and test it in a browser.
test: lint unit nbval lab-test site

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
	@echo "The site is at _build/html/index.html"

## Re-execute the chapter notebooks in place (after editing one).
notebooks: install
	$(PY) tools/execute_notebooks.py

## Regenerate exercises/ from solutions/ (the only files authors edit).
exercises: install
	$(PY) -m course_lib.grading generate

## Fail when exercises/ is out of date with solutions/.
exercises-check: install
	$(PY) -m course_lib.grading generate --check

## Grading speed: 40 solved notebooks, two at a time.
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
