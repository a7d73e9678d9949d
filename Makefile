# Make targets only wrap invoke tasks (tasks.py); the venv bootstrap is the
# one thing that has to happen before invoke exists.
PYTHON ?= python3
VENV := .venv
INVOKE := $(VENV)/bin/invoke

.PHONY: build test check serve publish clean fetch bench system-packages

# Debian packages beyond Python (Pango and fonts for the print edition);
# installed when run as root, otherwise the message says what to install.
system-packages:
	bash tools/system-packages runtime

$(VENV)/.installed: requirements.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.lock
	touch $@

build: system-packages $(VENV)/.installed
	$(INVOKE) build

test: $(VENV)/.installed
	bash tools/system-packages test
	$(INVOKE) test

check: $(VENV)/.installed
	$(INVOKE) check

serve: system-packages $(VENV)/.installed
	$(INVOKE) serve

publish: system-packages $(VENV)/.installed
	$(INVOKE) publish

fetch: $(VENV)/.installed
	$(INVOKE) fetch

bench: $(VENV)/.installed
	$(INVOKE) bench

clean: $(VENV)/.installed
	$(INVOKE) clean
