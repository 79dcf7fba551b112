# The two commands of the README:
#   make book   build the whole book into _build/html (warnings are errors)
#   make test   run every test: unit tests, each chapter under nbval, browser checks
# Both create or refresh .venv from the pinned requirements first.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# Quiet ipykernel's "running over TCP without encryption" notice in every executed chapter.
	@mkdir -p $(VENV)/etc/ipython
	@echo 'c.IPKernelApp.log_level = "ERROR"' > $(VENV)/etc/ipython/ipython_kernel_config.py
	@touch $(STAMP)

book: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . --all -W -n --keep-going

# The browser checks need a fresh build, so the test command builds first.
test: book
	$(BIN)/python -m pytest

clean:
	rm -rf _build $(VENV)
