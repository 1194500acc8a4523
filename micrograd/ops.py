"""Operations of your own: ``define_op`` adds one in the primitive table's form.

``define_op(name, forward, derivative)`` returns a function that applies the
new operation to Values and numbers, like a method such as ``Value.tanh``.
``forward(*numbers)`` returns the output, a number; ``derivative(z, *inputs)``
returns the local derivative dz/dx (one input) or a tuple of dz/dx_i (several),
given the output ``z`` and the inputs: the form of every entry in
``primitives.py``. The operation then works wherever a built-in one does:
``backward()``, ``draw_dot``/``draw_html`` (drawn with its symbol),
``gradcheck``, ``micrograd.compile`` (run node by node in Python there, with
the eager engine's results), and higher derivatives (``grad(...,
create_graph=True)``, ``hessian``), for which ``derivative`` is called with
Values instead of numbers: write it with operations that work on both
(``+ - * / **``, ``.exp()``, ``.log()``, ``.tanh()``, your own defined
operations, comparisons), never with ``math`` functions or ``.data``.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

from .engine import Value, is_grad_enabled
from .primitives import DERIVING, Defined, register

__all__ = ["define_op"]


def define_op(
    name: str, forward: Callable[..., float], derivative: Callable[..., object], symbol: str | None = None
) -> Callable[..., Value | float]:
    """A new operation, as a function ``op(*inputs)``: a Value (a number for numbers only).

    ``forward(*numbers)`` returns the output (a number); ``derivative(z,
    *inputs)`` returns the local derivative (a number for one input, a tuple of
    one per input for several), given the output ``z`` and the inputs as numbers,
    or as Values for higher derivatives (then use Value operations, not ``math``:
    see the module docstring). The number of inputs is that of ``forward``'s
    parameters (any, with ``*args``). ``symbol`` is what drawings show on the
    operation's node (default: ``name``).

    Defining a name again replaces the operation for the functions defined from
    then on (re-running a notebook cell); nodes already made, and the function
    returned before, keep the definition they were made with. A name or symbol
    of a built-in operation, or a symbol another defined operation uses, is a
    ValueError. An exception inside ``forward`` or ``derivative`` is raised again
    with the operation's name in its message (the original chained to it).
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"define_op() needs a name, a non-empty str, got {name!r}")
    symbol = name if symbol is None else symbol
    if not isinstance(symbol, str) or not symbol.strip():
        raise TypeError(f"define_op({name!r}): symbol must be a non-empty str, got {symbol!r}")
    for what, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(f"define_op({name!r}): {what} must be a function, got {type(fn).__name__} {fn!r}")
    arity = _arity(name, forward, derivative)
    prim = Defined(
        name, symbol, arity, _checked_forward(name, forward), _checked_derivative(name, derivative)
    )
    register(prim)

    def op(*inputs: Value | float) -> Value | float:
        return _apply(prim, inputs)

    op.__name__ = op.__qualname__ = name if name.isidentifier() else "op"
    op.__doc__ = f"The operation {name!r} (made by micrograd.define_op) applied to Values and numbers."
    return op


def _arity(name: str, forward: Callable, derivative: Callable) -> int | None:
    """forward's number of inputs (None: any), after checking that derivative takes z and as many."""
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):  # some built-in functions have no signature: any number
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL or p.default is not p.empty for p in params):
        return None
    arity = sum(p.kind in positional for p in params)
    if arity == 0:
        raise TypeError(f"define_op({name!r}): forward must take the operation's inputs, at least one")
    try:
        inspect.signature(derivative).bind(*range(arity + 1))
    except ValueError:  # no signature to check
        pass
    except TypeError:
        inputs = ", ".join(f"x{i}" for i in range(arity))
        raise TypeError(
            f"define_op({name!r}): derivative must take the output z and then forward's {arity} "
            f"input(s): derivative(z, {inputs})"
        ) from None
    return arity


def _apply(prim: Defined, inputs: tuple) -> Value | float:
    """A node made by ``prim`` from ``inputs`` (numbers become leaves), or a leaf under no_grad;
    for numbers only, the number."""
    name = prim.name
    if not inputs or (prim.arity is not None and len(inputs) != prim.arity):
        wanted = "at least one input" if prim.arity is None else f"{prim.arity} input(s)"
        raise TypeError(f"operation {name!r} takes {wanted}, got {len(inputs)}")
    for x in inputs:
        if not isinstance(x, (Value, numbers.Real)):
            raise TypeError(f"operation {name!r} takes Values and numbers, got {type(x).__name__} {x!r}")
    if not any(isinstance(x, Value) for x in inputs):  # numbers only: a number, as math.sin gives
        return prim.forward(*inputs)
    values = [x if isinstance(x, Value) else Value(x) for x in inputs]
    data = prim.forward(*[v.data for v in values])
    if not is_grad_enabled():
        return Value(data)
    out = Value(data, values)
    out._prim = prim  # the children are laid out by Value(); the operation is this one
    return out


def _again(exc: Exception, message: str) -> Exception:
    """An exception of exc's type with ``message`` (a RuntimeError where that type needs more)."""
    try:
        return type(exc)(message)
    except Exception:
        return RuntimeError(message)


def _checked_forward(name: str, forward: Callable) -> Callable:
    def checked(*xs):
        try:
            z = forward(*xs)
        except Exception as exc:
            shown = ", ".join(map(repr, xs))
            raise _again(
                exc, f"operation {name!r}: forward({shown}) raised {type(exc).__name__}: {exc}"
            ) from exc
        if type(z) is float or type(z) is int:
            return z
        if isinstance(z, numbers.Real) and not isinstance(z, Value):
            return int(z) if isinstance(z, numbers.Integral) else float(z)
        raise TypeError(
            f"operation {name!r}: forward must return a real number, got {type(z).__name__} {z!r}"
        )

    return checked


def _checked_derivative(name: str, derivative: Callable) -> Callable:
    def checked(z, *inputs):
        on_values = type(z) is Value
        token = DERIVING.set(name) if on_values else None
        try:
            d = derivative(z, *inputs)
        except Exception as exc:
            if on_values:
                message = (
                    f"operation {name!r}: its derivative failed on Values, which higher derivatives "
                    f"(create_graph=True, grad, hessian) pass it ({type(exc).__name__}: {exc}); write it "
                    "with operations that work on numbers and Values alike (a * b, a.exp(), ...), not math"
                )
            else:
                shown = ", ".join(map(repr, (z, *inputs)))
                message = f"operation {name!r}: derivative({shown}) raised {type(exc).__name__}: {exc}"
            raise _again(exc, message) from exc
        finally:
            if token is not None:
                DERIVING.reset(token)
        return _local(name, d, len(inputs), on_values)

    return checked


def _local(name: str, d, n: int, on_values: bool):
    """The local derivative(s) in the table's form: one for one input, a tuple of n for n."""
    several = isinstance(d, (tuple, list))
    if several and len(d) != n or not several and n != 1:
        got = f"{len(d)} values" if several else "one value"
        raise TypeError(f"operation {name!r}: derivative must return {n} value(s), one per input, got {got}")
    parts = list(d) if several else [d]
    for i, x in enumerate(parts):
        if type(x) is float or (on_values and type(x) is Value):
            continue
        if isinstance(x, Value) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"operation {name!r}: derivative must return numbers here, got {type(x).__name__} {x!r}"
            )
        parts[i] = float(x)
    return tuple(parts) if n > 1 else parts[0]
