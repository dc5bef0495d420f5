# Desk Pilkada: the README's two commands (run, test) and their helpers.
SHELL := /bin/bash
PY := .venv/bin/python
# The development environment installs the dev lock (runtime + test tools);
# the image installs only requirements.lock.
STAMP := .venv/.installed-$(shell md5sum requirements-dev.lock | cut -c1-12)
HOST ?= 127.0.0.1:8000
# The full-mode services the test suite runs against (both already running on
# the project's machines and in CI).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/desk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=true

.PHONY: run test install system-deps messages lint bench check

$(STAMP): requirements-dev.lock
	@command -v python3.11 >/dev/null || { echo "Python 3.11 is required"; exit 1; }
	python3.11 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check uv
	.venv/bin/uv pip install -q --python $(PY) -r requirements-dev.lock
	rm -f .venv/.installed-*; touch $(STAMP)

install: $(STAMP)

# Chromium (browser journeys), gettext (compiling translations) and
# poppler-utils (pdftotext: the minutes PDF test reads the text back) come
# from Debian; installed once, only when missing.
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

messages: install
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory system-deps
	$(PY) manage.py compilemessages --ignore=.venv -v0

run: install messages
	mkdir -p var
	$(PY) manage.py migrate -v0
	$(PY) manage.py import_regions
	$(PY) manage.py load_elections
	$(PY) manage.py seed_demo
	@echo "Desk Pilkada: http://$(HOST)/  (embedded mode: SQLite, tasks inline, e-mail to the console)"
	$(PY) manage.py runserver $(HOST)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

check: install
	$(TEST_ENV) $(PY) manage.py check_services
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py check

test: install system-deps messages lint check
	@# pytest exits 5 when it collected nothing: that is a failure here.
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "No tests ran: failing."; exit 1; fi; exit $$rc

bench: install messages
	$(TEST_ENV) $(PY) -m bench
