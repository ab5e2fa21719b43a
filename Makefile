# jiesu — two commands: `make run` and `make test`. Every target installs only
# what is missing, so a second run is fast.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
RASA := $(RASA_VENV)/bin/rasa
JIESU := $(VENV)/bin/jiesu
MODEL := models/jiesu.tar.gz
EMULATOR := tests/telegram
MODEL_INPUTS := config.yml domain.yml data/rules.yml data/stories.yml \
	$(wildcard data/nlu/*.yml) $(wildcard data/dict/*) $(wildcard jiesu_nlu/*.py) jiesu/text.py \
	data/lexicon/cues.yml data/city/categories.yml data/city/areas.yml jiesu/spans.py jiesu/spans.yml

# The first interpreter of each version that really runs (pyenv shims of an
# inactive version exist but fail, so they are tried, not trusted).
find_python = $(firstword $(foreach p,$(1) $(wildcard $(HOME)/.pyenv/versions/$(2)*/bin/$(1)) /usr/bin/$(1),\
	$(shell $(p) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(2))))' >/dev/null 2>&1 && echo $(p))))
comma := ,

.PHONY: help setup run test check bench lock browser clean

help:
	@echo "make run    set up what is missing, train if needed, start everything"
	@echo "make test   set up what is missing, then run every check"
	@echo "make bench  measure quality, speed and load, and take console screenshots, into bench/results/"

setup: $(VENV)/.installed $(RASA_VENV)/.installed $(EMULATOR)/node_modules/.installed
	@$(JIESU) init-env
	@$(JIESU) db upgrade

$(VENV)/.installed: requirements/app.lock pyproject.toml
	@py="$(call find_python,python3.11,3.11)"; \
	if [ -z "$$py" ]; then echo "需要 Python 3.11（应用环境）。请先安装，例如：pyenv install 3.11 或 apt-get install python3.11。" >&2; exit 1; fi; \
	[ -x $(VENV)/bin/python ] || $$py -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements/app.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/engine.lock
	@py="$(call find_python,python3.10,3.10)"; \
	if [ -z "$$py" ]; then echo "需要 Python 3.10（Rasa 3.6 只支持 3.8–3.10）。请先安装，例如：pyenv install 3.10 或 apt-get install python3.10，然后重新运行。" >&2; exit 1; fi; \
	[ -x $(RASA_VENV)/bin/python ] || $$py -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet -r requirements/engine.lock
	@touch $@

# The Telegram Bot API emulator of the end-to-end tests, from the npm registry
# (reinstalled only when its lock changes).
$(EMULATOR)/node_modules/.installed: $(EMULATOR)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(EMULATOR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "未找到 npm：未安装 Telegram 模拟器（Telegram 端到端测试需要它）。"; fi

# Rasa reuses its cache for unchanged parts; a changed jieba dictionary is not
# part of Rasa's fingerprint, so it forces a full retrain.
$(MODEL): $(MODEL_INPUTS) | $(RASA_VENV)/.installed
	$(RASA) train --fixed-model-name jiesu --out models $(if $(filter data/dict/%,$?),--force)

run: setup $(MODEL)
	$(VENV)/bin/honcho start -f Procfile

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --python-executable $(RASA_VENV)/bin/python --python-version 3.10 \
		--explicit-package-bases jiesu_nlu bench/nlu.py bench/nlu_cv.py
	$(VENV)/bin/lint-imports

# The house's rules first, before the model trains.
test: setup check $(MODEL) browser
	$(RASA) data validate --fail-on-warnings
	$(RASA) test core --stories tests/stories --model $(MODEL) --fail-on-prediction-errors --out var/rasa-test
	$(VENV)/bin/pytest

bench: setup $(MODEL) browser
	$(RASA_VENV)/bin/python bench/nlu.py
	$(VENV)/bin/python bench/routing.py
	$(VENV)/bin/python bench/grid.py
	$(VENV)/bin/python bench/faq.py
	$(VENV)/bin/python bench/hot_issues.py
	$(VENV)/bin/python bench/screens.py
	$(VENV)/bin/python bench/load.py

# Re-resolve both environments from requirements/*.in into fresh venvs and pin them.
lock:
	rm -rf /tmp/jiesu-lock && mkdir -p /tmp/jiesu-lock
	"$(call find_python,python3.11,3.11)" -m venv /tmp/jiesu-lock/app
	/tmp/jiesu-lock/app/bin/pip install --quiet -r requirements/app.in
	/tmp/jiesu-lock/app/bin/pip freeze --all | grep -v "^pip==" > requirements/app.lock
	"$(call find_python,python3.10,3.10)" -m venv /tmp/jiesu-lock/engine
	/tmp/jiesu-lock/engine/bin/pip install --quiet -r requirements/engine.in
	/tmp/jiesu-lock/engine/bin/pip freeze --all | grep -v "^pip==" > requirements/engine.lock

clean:
	rm -rf $(VENV) $(RASA_VENV) models .rasa var/rasa-test
