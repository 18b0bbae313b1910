# 离校通 — two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
DB     ?= data/clearance.duckdb
PORT   ?= 8501

# Debian packages: Chromium + CJK fonts for the browser tests, pcscd + the virtual reader driver
# for the card-reader tests, and the PC/SC headers pyscard builds against. fonts-arphic-uming is
# the CJK font embedded in the advisor form PDF (the student page); without it the page says so.
# pyscard has no Linux wheel: `make run` builds it from source against the PC/SC
# headers with swig, so those are run-time packages too.
DEBIAN_RUN  := libpcsclite1 libpcsclite-dev swig fonts-arphic-uming
DEBIAN_TEST := chromium fonts-noto-cjk pcscd vsmartcard-vpcd libpcsclite-dev libpcsclite1 swig nginx openssl \
               fonts-arphic-uming

.PHONY: run test venv deps-run deps-test debian-run debian-test seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

deps-run: $(VENV)/.run-deps
deps-test: $(VENV)/.test-deps

# As root, install what is missing; otherwise name it and go on (the app explains what it lacks).
debian-run:
	@missing=""; for p in $(DEBIAN_RUN); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "warning: missing Debian packages (install as root):$$missing"; fi; \
	fi

debian-test:
	@missing=""; for p in $(DEBIAN_TEST); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Create, migrate and fill the embedded store with the demo batch if it has no students yet.
seed: debian-run deps-run
	CLEARANCE_DB=$(DB) $(PY) -m loaders demo --if-empty

run: debian-run seed
	CLEARANCE_DB=$(DB) $(PY) -m streamlit run server.py --server.port $(PORT)

test: debian-test deps-test
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
