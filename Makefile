# `make` sets up .venv and builds dist/; `make test` runs the suite; `make bench` measures.
# Both bootstrap everything they need on a fresh machine (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# The sample round `make` keeps current; `make ROUND=remiss-2026 NEXT=working` follows another round, and
# `make ROUND=` follows none (see README, "Your own project").
ROUND  := remiss-2025
NEXT   := forslag-2025-08
BATCH   = samples/$(ROUND)/inkommande/diarium.yaml
# The round's outputs are remade only when a file or folder they are made from changed since the last run
# (the stamp), so `make` on a current tree only runs the incremental `avtal build`.
ROUND_STAMP   = .build-cache/make-round-$(ROUND)-$(or $(NEXT),none).stamp
ROUND_INPUTS  = sources templates tools/avtal $(wildcard samples/$(ROUND))

.PHONY: all build round remiss pack check test bench clients clean
all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The documents (incremental), then the round unless it is current: its answers (idempotent: a no-op on
# the committed record), the redline the report links to, and the remissammanställning.
build: $(STAMP)
	$(BIN)/avtal build
ifneq ($(ROUND),)
	@$(MAKE) --no-print-directory round
endif

round: $(STAMP)
	@if [ -f $(ROUND_STAMP) ] && [ -z "$$(find $(ROUND_INPUTS) -newer $(ROUND_STAMP) ! -name '*.pyc' \
	       ! -name '__pycache__' ! -name '.*.lock' -print -quit)" ]; then \
	  echo "$(ROUND): answers, redline and report are current (nothing changed since the last make)"; \
	else set -e; \
	  $(if $(wildcard $(BATCH)),$(BIN)/avtal remiss import $(ROUND) --batch $(BATCH);) \
	  $(if $(NEXT),$(BIN)/avtal redline $(ROUND) $(NEXT);) \
	  $(BIN)/avtal remiss report $(ROUND) $(if $(NEXT),--against $(NEXT)); \
	  mkdir -p $(dir $(ROUND_STAMP)) && touch $(ROUND_STAMP); \
	fi

# A round's outgoing side: 50 packages and the e-mails (dry run; see README for --send).
pack: $(STAMP)
	$(BIN)/avtal remiss pack $(ROUND)
	$(BIN)/avtal remiss mail $(ROUND)

check: $(STAMP)
	$(BIN)/avtal check --strict

# Real clients and validators for the conformance tests: LibreOffice (Writer, Calc, its Python
# bridge for accept/reject), Chromium, poppler, a JDK and JAXB for veraPDF (its jar comes from PyPI
# with the test extras), and axe-core + puppeteer-core from npm into tests/validators/node_modules.
DEBS := libreoffice-writer libreoffice-calc python3-uno chromium fonts-dejavu-core poppler-utils \
        default-jdk-headless libjaxb-java
clients:
	@if command -v soffice >/dev/null && command -v chromium >/dev/null && command -v pdftoppm >/dev/null \
	    && command -v javac >/dev/null && [ -f /usr/share/java/jaxb-api.jar ] && [ -d /usr/lib/python3/dist-packages/uno.py -o -f /usr/lib/python3/dist-packages/uno.py ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS) >/dev/null; \
	else echo "note: some clients are missing and cannot apt-get here; their tests will skip (fail under CI=true)"; fi
	@if command -v npm >/dev/null; then \
	  [ tests/validators/node_modules/.package-lock.json -nt tests/validators/package-lock.json ] \
	  || npm ci --prefix tests/validators --no-audit --no-fund --loglevel=error >/dev/null; \
	else echo "note: npm missing; the axe-core tests will skip (fail under CI=true)"; fi

test: $(STAMP) clients
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf dist .build-cache
