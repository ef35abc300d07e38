# shopbot — `make run` and `make test` are all a new user needs; `make help` lists the rest.
# Every target sets up what is missing first, so nothing is installed by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
RVENV := .venv-rasa
PY := $(VENV)/bin/python
RPY := $(RVENV)/bin/python
RASA := $(RVENV)/bin/rasa
MODEL := models/shopbot.tar.gz
TRAIN_DATA := data/nlu data/rules data/stories
# What the model depends on: retrain when any of it changes.
TRAIN_INPUTS := config.yml $(shell find data/nlu data/rules data/stories data/jieba data/sentiment data/shop domain bot -type f 2>/dev/null | LC_ALL=C sort)
WITH_ENV := source scripts/env.sh &&

.PHONY: help setup train run chat test lint format bench lock demo clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.lock pyproject.toml
	@[ -x $(PY) ] || $$(scripts/find-python.sh 3.11) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/app.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

$(RVENV)/.installed: requirements/rasa.lock
	@[ -x $(RPY) ] || $$(scripts/find-python.sh 3.10) -m venv $(RVENV)
	$(RPY) -m pip install -q --disable-pip-version-check -r requirements/rasa.lock
	@touch $@

setup: $(VENV)/.installed $(RVENV)/.installed ## create both Python environments from the lock files

$(MODEL): $(RVENV)/.installed $(TRAIN_INPUTS)
	$(WITH_ENV) $(RASA) train --config config.yml --domain domain --data $(TRAIN_DATA) \
		--out models --fixed-model-name shopbot
	@touch $@

train: $(MODEL) ## train the Rasa model when its data, domain, config or components changed

var/.demo-loaded: $(VENV)/.installed
	$(WITH_ENV) $(VENV)/bin/crm init && $(VENV)/bin/crm demo
	@touch $@

demo: var/.demo-loaded ## create the CRM database and load the demo shop (once)

run: setup $(MODEL) demo ## set up, train if needed, load the demo shop, start everything
	$(WITH_ENV) $(PY) -m scripts.stack

chat: $(VENV)/.installed ## talk to the running bot from this terminal (after `make run`)
	$(WITH_ENV) $(PY) -m scripts.chat

test: setup $(MODEL) ## run every test (lint, data validation, unit, Rasa stories, end to end)
	$(WITH_ENV) scripts/test.sh

lint: $(VENV)/.installed ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed ## apply ruff formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup $(MODEL) ## run the benchmarks; figures go to results/bench.jsonl
	$(WITH_ENV) ONLY="$(ONLY)" scripts/bench.sh

lock: ## re-resolve requirements/*.in into the lock files (needs the package registry)
	scripts/lock.sh

clean: ## remove the environments, models and local databases
	rm -rf $(VENV) $(RVENV) models/*.tar.gz var
