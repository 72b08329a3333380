# PowerKAM — the two commands: `make run` and `make test`. Everything they need installs here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := powerkam.settings

.PHONY: run test test-only install assets messages makemessages migrate demo lint bench bench-service bench-money clean

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

src/powerkam/static/vendor/.built: node_modules/.installed scripts/build_assets.py
	$(PY) scripts/build_assets.py
	touch $@

assets: install src/powerkam/static/vendor/.built

messages: install
	$(PY) scripts/compile_messages.py

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo --if-empty

run: assets messages demo
	$(PY) manage.py collectstatic --noinput -v 0
	@echo ""
	@echo "PowerKAM is starting on http://$(HOST):$(PORT)/"
	@$(PY) manage.py demo_logins
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --queue-name '*' & \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py powerkam.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

# Installs what the tests need (Python packages, assets, translations, Debian's chromium where
# this user can apt-get) and runs the whole suite: unit, API and browser tests.
test: assets messages
	bash scripts/ensure_chromium.sh
	$(MAKE) test-only

test-only:
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench

bench: assets
	$(PY) bench/run_foundation.py $(BENCH_ARGS)

bench-service: assets
	$(PY) bench/run_service.py $(BENCH_ARGS)

bench-money: assets
	$(PY) bench/run_money.py $(BENCH_ARGS)

clean:
	rm -rf var/*.sqlite3* var/static

# Developers: refresh the Chinese catalogue after changing UI strings (needs GNU gettext),
# then translate the new empty entries in src/powerkam/locale/zh_Hans/LC_MESSAGES/django.po.
makemessages: install
	cd src/powerkam && ../../$(PY) ../../manage.py makemessages -l zh_Hans --ignore "static/*" --no-obsolete
