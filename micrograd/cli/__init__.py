"""The ``micrograd`` command line (also ``python -m micrograd``).

    micrograd train                      the moons demo of Karpathy's micrograd notebook, exactly
    micrograd train --csv iris.csv --target species --optimizer adam
    micrograd predict --model runs/iris/model.json --csv new.csv
    micrograd evaluate --model runs/iris/model.json --csv test.csv
    micrograd graph "tanh(x*w + b)" --set x=2 w=-3 b=6.88 --out neuron.svg
    micrograd train --resume runs/moons  a run stopped with Ctrl-C, continued to the same numbers
    micrograd export runs/iris/model.json iris.pt       (and back: micrograd import iris.pt iris.json)

One module per subcommand (``train``, ``predict``, ``evaluate``, ``graph``; ``torchfile``
holds ``export`` and ``import``, ``resume`` the checkpoints of ``train``), each
defining a ``Command``: a name, a line of help, a function that adds its arguments
and a function that runs it. To add one, write such a module and append its
Command to ``app.COMMANDS``. ``options`` holds ``train``'s table of options, the
one place their defaults are written.

Bad input (a missing file, a bad option value, a malformed CSV or model file) ends
with a one-line error and exit status 2, and never with a half-written file: every
output is written atomically, after the work that produces it has succeeded.
"""

from .app import COMMANDS, build_parser, main
from .common import Command, CommandError
from .options import TrainConfig

__all__ = ["main", "build_parser", "COMMANDS", "Command", "CommandError", "TrainConfig"]
