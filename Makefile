# Calmdesk: `make run` (server + worker + demo data on SQLite) and `make test`.
# Both install exactly what uv.lock pins, with uv bootstrapped into .tools/ from PyPI.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make test` runs the whole suite: calmdesk/ and the browser tests in e2e/ (these are skipped,
# with the reason, where /usr/bin/chromium is not installed; CI installs it and requires them).
PYTEST_ARGS ?=
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run serve demo test test-browser lint typecheck check clean

# uv itself: from PyPI with pip when this Python has venv + pip; otherwise (a bare Debian/Ubuntu
# python3 without python3-venv) the uv wheel is fetched from PyPI and checked against its hash.
$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
	  || { echo "Calmdesk needs Python 3.11: run with PYTHON=/path/to/python3.11"; exit 1; }
	@rm -rf .tools
	@if $(PYTHON) -m venv .tools >/dev/null 2>&1 && .tools/bin/python -m pip --version >/dev/null 2>&1; then \
	  .tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); \
	else \
	  rm -rf .tools && mkdir -p .tools/bin && $(PYTHON) -c "$$FETCH_UV" $(UV_VERSION) $(UV); \
	fi

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

# Migrate, collect static files, load the demo desk on first run, start web server + worker
# + inbound mail receiver (SMTP on 2525); the chat demo site is on (/chat/demo/).
run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo_data --if-empty
	CHAT_DEMO=$${CHAT_DEMO:-true} $(PY) manage.py serve --port $(PORT)

# The web server and the worker without touching the data.
serve: install
	$(PY) manage.py serve --port $(PORT)

demo: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_data

# testpaths applies only when PYTEST_ARGS names no path: `make test PYTEST_ARGS="calmdesk/sla -x"`.
test: install
	$(PY) -m pytest -o testpaths="calmdesk e2e" $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest e2e -m browser $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

check: lint typecheck test

clean:
	rm -rf .tools $(VENV)

define FETCH_UV
import hashlib, io, json, os, platform, stat, sys, urllib.request, zipfile
version, target = sys.argv[1], sys.argv[2]
machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
osname = "macosx" if sys.platform == "darwin" else "manylinux"
if osname == "macosx" and machine == "aarch64": machine = "arm64"
index = urllib.request.Request("https://pypi.org/simple/uv/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
files = json.load(urllib.request.urlopen(index))["files"]
wheels = [f for f in files if f["filename"].startswith(f"uv-{version}-") and f["filename"].endswith(".whl") and osname in f["filename"] and machine in f["filename"] and "musl" not in f["filename"]]
if not wheels: sys.exit(f"no uv {version} wheel for {osname}/{machine}: install python3-venv and retry")
data = urllib.request.urlopen(wheels[0]["url"]).read()
if hashlib.sha256(data).hexdigest() != wheels[0]["hashes"]["sha256"]: sys.exit("uv wheel hash mismatch")
with zipfile.ZipFile(io.BytesIO(data)) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith("/scripts/uv"))
    with open(target, "wb") as out: out.write(wheel.read(name))
os.chmod(target, os.stat(target).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
print(f"uv {version} installed to {target}")
endef
export FETCH_UV
