#!/bin/sh
# Install the optional peer tools for the benchmarks (never needed by the package).
#
# samplics and weightipy install into the current Python.  balance 0.23 pins
# numpy<2, pandas/scipy/scikit-learn to old releases on Python < 3.12 and would
# downgrade them, so it goes into a venv that sees the global packages and is
# installed without its pins (it runs on numpy 2.4 / pandas 3.1 here).  Then:
#   $VENV/bin/python benchmarks/bench_rake.py
set -eu
VENV=${VENV:-$HOME/.venvs/midori-peers}
python -m pip install samplics weightipy
python -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install --no-deps balance session-info stdlib-list plotly narwhals
"$VENV/bin/python" -c "import balance; print('balance', balance.__version__, 'in', '$VENV')"
