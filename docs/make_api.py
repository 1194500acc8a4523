"""Write docs/api.md, the API reference, from the docstrings.

Run from the repository root: ``python docs/make_api.py`` (``--check`` only
compares, and exits with status 1 when docs/api.md is out of date).
tests/test_api_docs.py regenerates the text and compares it with the file, so
a docstring changed without running this script fails the tests.

What is documented: every name in ``micrograd.__all__``, and in each public
module (``MODULES``) its ``__all__`` if it has one, else every function and
class defined there whose name does not start with ``_``; for a class, its
public methods and properties defined in the class itself. Module-level
constants are listed with their values when those are short.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
API_MD = REPO / "docs" / "api.md"

# the public modules, from the simplest to the most complex
MODULES = [
    ("engine", "the scalar `Value` and its graph; `backward()`"),
    ("grad_mode", "`no_grad()` and `is_grad_enabled()`, per thread and per asyncio task"),
    ("primitives", "the closed table of primitives, each forward beside its local derivative"),
    ("ops", "operations of your own: `define_op`"),
    ("nn", "`Module`, `Neuron`, `Layer`, `MLP`"),
    ("functional", "second derivatives: `hessian` and `hvp`"),
    ("gradcheck", "finite-difference gradient checking"),
    ("losses", "loss functions built from `Value` operations"),
    ("optim", "optimizers and learning-rate schedules"),
    ("data", "datasets, CSV files, splits, mini-batches, standardisation"),
    ("classifier", "a model with its class names and standardisation"),
    ("batched", "an MLP's forward pass over many rows at once, with numpy"),
    ("atomic", "atomic file writes"),
    ("jsonfile", "reading saved JSON: any file, however hostile, gives one error of ours"),
    ("modelfile", "versioned JSON model files, written atomically"),
    ("io", "the model-file names under their 0.2.0 module name (re-exported)"),
    ("train", "the training loop and its engines"),
    ("memory", "what a training step needs in memory, told before it is built"),
    ("checkpoint", "training checkpoints: a stopped run resumes exactly"),
    ("runfolder", "a run's files replace the last run's together, even if it is killed"),
    ("pytorch", "to and from PyTorch: `to_torch`, `from_torch`, torch files"),
    ("plot", "loss curves and decision boundaries as PNG"),
    ("viz", "the pictures: `draw_dot` and `draw_html`, and the map of their modules"),
    ("viz.dot", "`draw_dot`: the Graphviz picture"),
    ("viz.page", "`draw_html`: the step-through HTML page"),
    ("compiled", "the compiled numpy backend"),
    ("cli", "the `micrograd` command"),
    ("cli.options", "`micrograd train`'s options, each default written once"),
    ("cli.train", "`micrograd train`"),
    ("cli.expression", "the expressions `micrograd graph` draws"),
    ("cli.graph", "`micrograd graph`"),
    ("installcheck", "is Karpathy's `micrograd` installed over this one? (the name clash)"),
]


class _Annotation:
    """Shows an annotation kept as a string (``from __future__ import annotations``) without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def signature(obj: object) -> str:
    """``obj``'s call signature as text, annotations as written in the source."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"

    def plain(annotation):
        if annotation is inspect.Parameter.empty:
            return annotation
        return _Annotation(
            annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
        )

    params = [p.replace(annotation=plain(p.annotation)) for p in sig.parameters.values()]
    text = str(sig.replace(parameters=params, return_annotation=plain(sig.return_annotation)))
    text = re.sub(r"\bmicrograd\.(\w+\.)*(?=[A-Z])", "", text)  # Value, not micrograd.engine.Value
    if re.search(r" at 0x[0-9a-f]+", text):
        raise ValueError(f"the signature of {obj!r} shows a memory address, which changes every run: {text}")
    return text


def public_names(module: ModuleType) -> list[str]:
    """The module's ``__all__``, else its own functions and classes whose names do not start with ``_``."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_"):
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            names.append(name)
    return names


def constants(module: ModuleType) -> list[str]:
    """The module's UPPERCASE names defined there (not imported), in source order."""
    source = inspect.getsource(module)
    return [
        name
        for name in vars(module)
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", name) and re.search(rf"^{name}\b.*=", source, re.M)
    ]


def members(cls: type) -> list[tuple[str, object]]:
    """A class's own public methods and properties, in source order."""
    out = []
    for name, obj in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if inspect.isfunction(obj) or isinstance(obj, property):
            out.append((name, obj))
    return out


def markdown(doc: str) -> str:
    """A docstring as Markdown: its indented runs and ``>>>`` examples fenced as text, the rest as prose."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            while block and not block[-1].strip():
                block.pop()
            width = min(len(line) - len(line.lstrip()) for line in block if line.strip())
            out.extend(["", "```text", *(line[width:] for line in block), "```", ""])
            block.clear()

    for line in doc.splitlines():
        doctest_output = bool(block) and block[-1].lstrip().startswith(">>>") and line.strip()
        code = line.startswith("    ") or line.lstrip().startswith(">>>") or doctest_output
        if code or (block and not line.strip()):
            block.append(line)
        else:
            flush()
            out.append(_escape(re.sub(r"::$", ":", line)))  # reST's "::" before a literal block
    flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _escape(prose: str) -> str:
    """Escape ``**`` and ``<`` outside code spans, so ``x**2`` is not bold and ``<model>`` not a tag."""
    parts = re.split(r"(`+[^`]*`+)", prose)
    return "".join(
        p if p.startswith("`") else re.sub(r"(\*\*|<)", lambda m: "".join("\\" + c for c in m.group()), p)
        for p in parts
    )


def _doc(obj: object) -> str:
    doc = inspect.getdoc(obj)
    return markdown(doc) if doc else "*(no docstring)*"


def _anchor(qualname: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", qualname.lower().replace(" ", "-"))


def document_module(name: str, summary: str) -> list[str]:
    module = importlib.import_module(f"micrograd.{name}")
    lines = [f"## micrograd.{name}", "", f"*{summary}*", "", _doc(module), ""]
    for const in constants(module):
        value = repr(getattr(module, const))
        shown = f" = `{value}`" if len(value) <= 90 and " at 0x" not in value else ""
        lines.append(f"- constant `{const}`{shown}")
    if constants(module):
        lines.append("")
    for public in public_names(module):
        obj = getattr(module, public)
        if inspect.isclass(obj):
            lines += [f"### class {name}.{public}", "", f"`{public}{signature(obj)}`", "", _doc(obj), ""]
            for member, attr in members(obj):
                if isinstance(attr, property):
                    lines += [f"#### {public}.{member} (property)", "", _doc(attr), ""]
                else:
                    lines += [
                        f"#### {public}.{member}",
                        "",
                        f"`{member}{signature(attr)}`",
                        "",
                        _doc(attr),
                        "",
                    ]
        elif callable(obj):
            lines += [f"### {name}.{public}", "", f"`{public}{signature(obj)}`", "", _doc(obj), ""]
        else:
            value = repr(obj)
            lines += [f"### {name}.{public}", "", f"`{public} = {value if len(value) <= 90 else '...'}`", ""]
    return lines


def _home(obj: object) -> str:
    """Where a name of ``micrograd.__all__`` is documented: its defining module's section."""
    module = getattr(obj, "__module__", "") or ""
    return module


def generate() -> str:
    """The text of docs/api.md."""
    import micrograd

    for name, _ in MODULES:  # import every module first, so that the text does not depend on
        importlib.import_module(f"micrograd.{name}")  # what was imported before
    lines = [
        "# API reference",
        "",
        "<!-- Generated by docs/make_api.py from the docstrings; do not edit by hand."
        " tests/test_api_docs.py fails when this file is out of date. -->",
        "",
        "Every public name of the package, with its signature and docstring, module by module from the",
        "simplest to the most complex. Start with [the tutorial](tutorial.md) for how the pieces fit;",
        "the guides cover [the command line](cli.md), [saving and loading](saving-and-loading.md),",
        "[the compiled backend](compiled.md) and [visualisation](visualisation.md).",
        "",
        "## Contents",
        "",
        "- [micrograd](#micrograd): the names `import micrograd` gives",
    ]
    lines += [f"- [micrograd.{n}](#micrograd{n.replace('.', '')}): {s}" for n, s in MODULES]
    lines += ["", "## micrograd", "", _doc(micrograd), ""]
    lines += [
        "`from micrograd import ...` gives these names (`__all__`), each documented in its module below:",
        "",
    ]
    for public in micrograd.__all__:
        obj = getattr(micrograd, public)
        home = _home(obj)
        if home == "micrograd":  # defined in the package itself
            lines += [f"- `{public}{signature(obj)}`: {_doc(obj)}"]
        else:
            section = home.replace(".", "")
            lines.append(f"- [`{public}`](#{section}) from `{home}`")
    lines += [
        "- `draw_dot`, `draw_html`: from [`micrograd.viz`](#microgradviz), loaded on first use so that",
        "  `import micrograd` never imports graphviz.",
        "- `__version__` = " + f"`{micrograd.__version__!r}`",
        "",
    ]
    for name, summary in MODULES:
        lines += document_module(name, summary)
    return "\n".join(lines).rstrip() + "\n"


def undocumented() -> list[str]:
    """Public functions, classes, methods and properties without a docstring."""
    missing = []
    for name, _ in MODULES:
        module = importlib.import_module(f"micrograd.{name}")
        if not inspect.getdoc(module):
            missing.append(f"micrograd.{name}")
        for public in public_names(module):
            obj = getattr(module, public)
            if (inspect.isclass(obj) or callable(obj)) and not inspect.getdoc(obj):
                missing.append(f"micrograd.{name}.{public}")
            if inspect.isclass(obj):
                for member, attr in members(obj):
                    if not (attr.__doc__ or "").strip():
                        missing.append(f"micrograd.{name}.{public}.{member}")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/api.md is up to date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = API_MD.read_text(encoding="utf-8") if API_MD.exists() else ""
        if current != text:
            print("docs/api.md is out of date: run python docs/make_api.py", file=sys.stderr)
            return 1
        return 0
    tmp = API_MD.with_name(".api.md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(API_MD)
    print(f"wrote {API_MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
