# PowerKAM — the two commands: `make run` and `make test`. Everything they need installs here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Exported so that settings.POWERKAM_BASE_URL (the links in SMS and e-mail to customers) and
# `manage.py demo_logins` follow the address the server runs on, unless POWERKAM_BASE_URL is set.
export HOST PORT
export DJANGO_SETTINGS_MODULE := powerkam.settings
# Where the local address answers: a wildcard bind is reached through the loopback address.
LOG_DIR = $(or $(POWERKAM_VAR_DIR),var)/log
LOCAL_URL = http://$(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST)):$(PORT)/

.PHONY: run test test-only install assets messages makemessages migrate demo lint bench bench-service bench-money bench-pipeline bench-http clean

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
	@echo "Migrating the database…"
	@$(PY) manage.py migrate --noinput -v 0

demo: migrate
	@$(PY) manage.py load_demo --if-empty

# The web server, the job worker and the scheduler (which runs every periodic job once at start,
# then nightly); the demo logins are printed last, once the server answers. Request and scheduler
# logs go to var/log/ so that the console stays readable.
run: assets messages demo
	@$(PY) manage.py collectstatic --noinput -v 0
	@mkdir -p $(LOG_DIR)
	@$(PY) scripts/wait_until_up.py --free $(HOST) $(PORT)
	@echo ""
	@echo "Starting PowerKAM on http://$(HOST):$(PORT)/ (web server, job worker, scheduler; logs in $(LOG_DIR)/)…"
	@# Ctrl-C, or any of the three stopping, stops them all (`wait -n`, then the trap).
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --queue-name '*' & \
	  $(PY) manage.py run_scheduler --now >> $(LOG_DIR)/scheduler.log 2>&1 & \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py powerkam.wsgi:application --pythonpath src --bind $(HOST):$(PORT) --workers 2 --threads 4 \
	    --access-logfile $(LOG_DIR)/access.log & \
	  $(PY) scripts/wait_until_up.py $(LOCAL_URL)accounts/login/ && $(PY) manage.py demo_logins; \
	  wait -n

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

bench-pipeline: assets
	$(PY) bench/run_pipeline.py $(BENCH_ARGS)

# Through the real server (gunicorn as `run` starts it, HTTP): what users feel (issue #11).
bench-http: assets
	$(PIP) install -q -e '.[test,bench]'
	$(PY) bench/run_http.py $(BENCH_ARGS)

clean:
	rm -rf var/*.sqlite3* var/static

# Developers: refresh the Chinese catalogue after changing UI strings (needs GNU gettext),
# then translate the new empty entries in src/powerkam/locale/zh_Hans/LC_MESSAGES/django.po.
makemessages: install
	cd src/powerkam && ../../$(PY) ../../manage.py makemessages -l zh_Hans --ignore "static/*" --no-obsolete
