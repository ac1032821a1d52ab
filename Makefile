# `make` sets up .venv and builds dist/; `make test` runs the suite; `make bench` measures.
# Both bootstrap everything they need on a fresh machine (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

ROUND  := remiss-2025
NEXT   := forslag-2025-08

.PHONY: all build remiss pack check test bench clients clean
all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The documents, then the sample round: its answers (idempotent: a no-op on the committed
# record), the redline the report links to, and the remissammanställning.
build: $(STAMP)
	$(BIN)/avtal build
	$(BIN)/avtal remiss import $(ROUND) --batch samples/$(ROUND)/inkommande/diarium.yaml
	$(BIN)/avtal redline $(ROUND) $(NEXT)
	$(BIN)/avtal remiss report $(ROUND) --against $(NEXT)

# A round's outgoing side: 50 packages and the e-mails (dry run; see README for --send).
pack: $(STAMP)
	$(BIN)/avtal remiss pack $(ROUND)
	$(BIN)/avtal remiss mail $(ROUND)

check: $(STAMP)
	$(BIN)/avtal check --strict

# Real clients for the docx/web tests: LibreOffice and Chromium from Debian.
clients:
	@if command -v soffice >/dev/null && command -v chromium >/dev/null && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer chromium fonts-dejavu-core poppler-utils >/dev/null; \
	else echo "note: LibreOffice/Chromium missing and cannot apt-get here; client tests will skip (fail under CI=true)"; fi

test: $(STAMP) clients
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf dist .build-cache
