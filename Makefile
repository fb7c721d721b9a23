# psa-pipeline: `make demo` and `make test` install whatever is missing, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PSA := $(BIN)/psa
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck pytest system-deps browser-deps venv samples schema i18n bench bench-batch clean help

help:
	@echo "make demo   - install what is missing, then validate, build, publish and review the sample projects"
	@echo "make test   - install what is missing, run ruff, import-linter, vulture, mypy and the test suite"
	@echo "make test-fast - the tests that need no ffmpeg, Chromium or S3 server (seconds)"
	@echo "make bench  - benchmark psa build against hand-written ffmpeg, ffmpeg-normalize and moviepy,"
	@echo "              and psa verify of a 60 s clip against a 1,000-PSA catalogue"
	@echo "make bench-batch - scale check: a batch of 50 small PSAs with 1, 2, N jobs and a local Dask cluster"
	@echo "make i18n   - extract the messages (psa.pot), update the id/en catalogues and compile them (.mo)"
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
	@echo "== psa verify: a published file, a re-shared (re-encoded) copy, then a copy with 3 s of its sound replaced"
	@f=$$(find publish -name '*-whatsapp-small.mp4' | sort | head -n 1); \
	 $(PSA) verify "$$f" --catalog publish/; \
	 ffmpeg -v error -y -i "$$f" -vf scale=-2:240 -c:v libx264 -crf 32 -c:a aac -b:a 48k build/reshared-copy.mp4; \
	 $(PSA) verify build/reshared-copy.mp4 --catalog publish/; \
	 ffmpeg -v error -y -i "$$f" -f lavfi -i "sine=f=330:d=60" -filter_complex \
	   "[0:a]volume=0:enable='between(t,3,6)'[a0];[1:a]volume=0:enable='not(between(t,3,6))'[a1];[a0][a1]amix=inputs=2:normalize=0:duration=first[a]" \
	   -map 0:v -map "[a]" -c:v copy -c:a aac build/altered-copy.mp4; \
	 $(PSA) verify build/altered-copy.mp4 --catalog publish/ || echo "(exit 1, as expected for an altered copy)"

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
	@$(BIN)/python tools/bench
	@$(BIN)/python tools/bench_verify.py

bench-batch: samples
	@$(BIN)/python tools/bench batch

schema: venv
	$(PSA) schema -o schema/psa.schema.json
	$(PSA) schema --records -o schema/records

# Messages: extract from the source, merge into each language's .po (translators edit those), compile
# the .mo files the package ships. The .mo files are committed, so `pip install` needs no Babel;
# tests/test_i18n.py fails when a catalogue is out of date or a message has no Indonesian translation.
LOCALE := psa_pipeline/locale
i18n: venv
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o $(LOCALE)/psa.pot psa_pipeline
	$(BIN)/pybabel update -D psa -i $(LOCALE)/psa.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -D psa -d $(LOCALE) --statistics

clean:
	rm -rf build publish approvals bench-out $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find projects assets -path '*/media/*' -type f -delete 2>/dev/null || true
