"""The 0.2.0 module name of the model files: ``micrograd.modelfile`` and ``micrograd.atomic``.

``from micrograd.io import ...`` keeps giving ``save_model``, ``load_model``,
``model_to_dict``, ``model_from_dict``, ``ModelFileError``, ``FORMAT``,
``VERSION`` (from ``micrograd.modelfile``) and ``atomic_write_bytes``,
``atomic_write_text`` (from ``micrograd.atomic``), documented there. New code
imports from those modules: a module called ``io`` reads as the standard library's.
"""

from .atomic import atomic_write_bytes as atomic_write_bytes
from .atomic import atomic_write_text as atomic_write_text
from .modelfile import FORMAT as FORMAT
from .modelfile import VERSION as VERSION
from .modelfile import ModelFileError as ModelFileError
from .modelfile import load_model as load_model
from .modelfile import model_from_dict as model_from_dict
from .modelfile import model_to_dict as model_to_dict
from .modelfile import save_model as save_model
