# Two commands do all the set-up:  `make demo`  and  `make test`.
# Override the interpreter or the torch build, e.g.  make demo PYTHON=python3.12 TORCH=torch
# The demo's model:  make demo NET=token_pose_w16  (or top_down_hrnet_w18, dekr_32, ...; default dekr_16)
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
NET ?= dekr_16
BIN := $(VENV)/bin

.PHONY: demo test install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/deeplabcut demo --output demo-output --net-type $(NET)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo-output
