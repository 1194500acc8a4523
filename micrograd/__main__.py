"""``python -m micrograd``: the command line, after the installation check the ``micrograd`` script makes."""

import sys

from .installcheck import command

sys.exit(command())
