# psa-pipeline: `make demo` and `make test` install whatever is missing, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PSA := $(BIN)/psa
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest system-deps browser-deps venv samples schema bench bench-batch clean help

help:
	@echo "make demo   - install what is missing, then validate, build, publish and review the sample projects"
	@echo "make test   - install what is missing, run ruff, mypy and the test suite"
	@echo "make bench  - benchmark psa build against hand-written ffmpeg, ffmpeg-normalize and moviepy"
	@echo "make bench-batch - scale check: a batch of 50 small PSAs with 1, 2, N jobs and a local Dask cluster"
	@echo "make clean  - remove generated media, build outputs and the virtualenv"

system-deps:
	@./tools/install-system-deps.sh

# The review-report tests open the report in Debian's Chromium, headless.
browser-deps:
	@WITH_BROWSER=1 ./tools/install-system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

venv: system-deps $(STAMP)

samples: venv
	@$(BIN)/python tools/make_samples.py

demo: samples
	@echo "== psa validate projects/"
	@$(PSA) validate projects/
	@echo "== psa batch run projects/ --publish  (build, publish to the folder publish/, review report)"
	@$(PSA) batch run projects/ --publish
	@echo "== psa verify: a published file, then a modified copy"
	@f=$$(find publish -name '*-whatsapp-small.mp4' | sort | head -n 1); \
	 $(PSA) verify "$$f" --catalog publish/; \
	 cp "$$f" build/modified-copy.mp4 && printf 'x' >> build/modified-copy.mp4; \
	 $(PSA) verify build/modified-copy.mp4 --catalog publish/ || echo "(exit 1, as expected for a modified copy)"

lint: venv
	$(BIN)/ruff check psa_pipeline tests tools
	$(BIN)/ruff format --check psa_pipeline tests tools

typecheck: venv
	$(BIN)/mypy

pytest: samples browser-deps
	@# exit code 5 means "no tests collected": not a failure of the code, but say so.
	@$(BIN)/pytest; code=$$?; if [ $$code -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$code

test: lint typecheck pytest

bench: samples
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev,bench]"
	@$(BIN)/python tools/bench

bench-batch: samples
	@$(BIN)/python tools/bench batch

schema: venv
	$(PSA) schema -o schema/psa.schema.json

clean:
	rm -rf build publish bench-out $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find projects assets -path '*/media/*' -type f -delete 2>/dev/null || true
