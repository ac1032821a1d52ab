# `make` sets up .venv and builds dist/; `make test` runs the suite; `make bench` measures.
# Both bootstrap everything they need on a fresh machine (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all build check test bench clients clean
all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/avtal build

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
