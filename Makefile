# psa-pipeline: `make demo` and `make test` install whatever is missing, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PSA := $(BIN)/psa
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck pytest system-deps browser-deps venv samples schema bench bench-batch clean help

help:
	@echo "make demo   - install what is missing, then validate, build, publish and review the sample projects"
	@echo "make test   - install what is missing, run ruff, import-linter, vulture, mypy and the test suite"
	@echo "make test-fast - the tests that need no ffmpeg, Chromium or S3 server (seconds)"
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
	@echo "== psa batch run projects/  (validate, build, review report)"
	@$(PSA) batch run projects/
	@echo "== psa approve: a reviewer approves the sample builds (psa review projects/ does this in the browser)"
	@$(PSA) approve $$(for record in build/*/renditions.json; do basename "$$(dirname "$$record")"; done) \
	  --reviewer "Demo Reviewer Kominfosantik" --role "Kepala Bidang IKP"
	@echo "== psa batch publish projects/  (exactly the approved PSAs, to the folder publish/)"
	@$(PSA) batch publish projects/
	@echo "== psa verify: a published file, then a modified copy"
	@f=$$(find publish -name '*-whatsapp-small.mp4' | sort | head -n 1); \
	 $(PSA) verify "$$f" --catalog publish/; \
	 cp "$$f" build/modified-copy.mp4 && printf 'x' >> build/modified-copy.mp4; \
	 $(PSA) verify build/modified-copy.mp4 --catalog publish/ || echo "(exit 1, as expected for a modified copy)"

lint: venv
	$(BIN)/ruff check psa_pipeline tests tools
	$(BIN)/ruff format --check psa_pipeline tests tools
	@# imports point only down the stages (the layers contract in pyproject.toml)
	$(BIN)/lint-imports
	@# dead code; names it cannot see used are in vulture_whitelist.py, each with its reason
	$(BIN)/vulture

typecheck: venv
	$(BIN)/mypy

# pytest's exit code 5 means "no tests collected": a broken collection or selection, so a failure too.
run_pytest = $(BIN)/pytest $(1); code=$$?; if [ $$code -eq 5 ]; then echo "pytest: no tests collected" >&2; fi; exit $$code

pytest: samples browser-deps
	@$(call run_pytest,)

# Without ffmpeg, Chromium or the S3 server: the pure layer, in seconds.
test-fast: venv
	@$(call run_pytest,-m "not media")

test: lint typecheck pytest

bench: samples
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev,bench]"
	@$(BIN)/python tools/bench.py

bench-batch: samples
	@$(BIN)/python tools/bench_batch.py

schema: venv
	$(PSA) schema -o schema/psa.schema.json
	$(PSA) schema --records -o schema/records

clean:
	rm -rf build publish approvals bench-out $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find projects assets -path '*/media/*' -type f -delete 2>/dev/null || true
