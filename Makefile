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
# headers with swig, so those are run-time packages too. Node.js 20 with npm (already on the
# project's machines, from NodeSource, not Debian's packages) runs the OpenID Connect provider of
# the campus sign-in tests: `make test` installs it with `npm ci` in tests/oidc_provider.
DEBIAN_RUN  := libpcsclite1 libpcsclite-dev swig fonts-arphic-uming
DEBIAN_TEST := chromium fonts-noto-cjk pcscd vsmartcard-vpcd libpcsclite-dev libpcsclite1 swig nginx openssl \
               fonts-arphic-uming

.PHONY: run serve test venv deps-run deps-test debian-run debian-test seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# The real OpenID Connect provider of tests/sso (oidc-provider on Node), from its lock file.
OIDC_PROVIDER := tests/oidc_provider
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund

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

# Create, migrate and fill the store with the demo batch only if it is empty (never used: no
# students, accounts, imports or marks); a store in use is left alone (SECURITY.md).
seed: debian-run deps-run
	CLEARANCE_DB=$(DB) $(PY) -m loaders demo --if-empty

run: debian-run seed
	CLEARANCE_DB=$(DB) $(PY) -m streamlit run server.py --server.port $(PORT)

# Production: serve a store, never seed it (the demo's accounts have public passwords).
serve: debian-run deps-run
	CLEARANCE_DB=$(DB) $(PY) -m streamlit run server.py --server.port $(PORT)

test: debian-test deps-test $(OIDC_PROVIDER)/node_modules/.package-lock.json
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
