"""``python -m survey`` is the ``survey`` command."""
import sys

from survey.cli import main

sys.exit(main())
