"""``python -m survey`` is the ``survey`` command."""
from survey.cli import command

command()
