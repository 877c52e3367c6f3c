#!/usr/bin/env bash
# Installs leafgrad with its test extra (pytest, hypothesis, torch==2.13.0 as the oracle)
# into .venv, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
exec .venv/bin/python -m pytest -q "$@"
