"""Grad mode: ``no_grad()`` and ``is_grad_enabled()``, per thread and per asyncio task, as in PyTorch.

Each context (a thread, an asyncio task) has its own innermost ``no_grad()``
scope in a context variable; a task started inside a scope follows it until the
scope closes. Reading a context variable for every new node would slow the
engine, so it keeps a flag of its own, set through ``watch()``: True while no
scope is open in any thread or task, when every operation records without asking.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable


class _Scope:
    __slots__ = ("outer", "open")


_everywhere = True  # no scope open in any thread or task
_watchers: list[Callable[[bool], None]] = []
_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("micrograd_no_grad", default=None)
_open_scopes = 0  # in every thread and task together
_lock = threading.Lock()


def watch(fn: Callable[[bool], None]) -> None:
    """Call ``fn(everywhere)`` now and whenever it changes: True while no ``no_grad()`` scope is open
    in any thread or task (then every operation records), False otherwise (then ask ``recording_here()``)."""
    _watchers.append(fn)
    fn(_everywhere)


def _set_everywhere(everywhere: bool) -> None:  # called holding _lock
    global _everywhere
    if everywhere != _everywhere:
        _everywhere = everywhere
        for fn in _watchers:
            fn(everywhere)


def recording_here() -> bool:
    """Whether this thread or task is outside every open ``no_grad()`` scope."""
    scope = _scope.get()
    while scope is not None and not scope.open:  # closed meanwhile by the context that opened it
        scope = scope.outer
    return scope is None


class no_grad:
    """Context manager (or decorator) inside which operations record no graph.

    Results made inside are leaves, so nothing is kept for ``backward()``. It
    nests, and restores the previous setting on every exit, exceptions
    included. As in PyTorch, the setting belongs to the thread (and to the
    asyncio task) that enters it: other threads and tasks keep recording.
    """

    def __enter__(self) -> no_grad:
        global _open_scopes
        scope = _Scope()
        scope.outer, scope.open = _scope.get(), True
        _scope.set(scope)
        with _lock:
            _open_scopes += 1
            _set_everywhere(False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _open_scopes
        scope = _scope.get()
        if scope is None or not scope.open:  # not entered in this context
            return
        scope.open = False
        _scope.set(scope.outer)
        with _lock:
            _open_scopes -= 1
            _set_everywhere(_open_scopes == 0)

    def __call__(self, fn):
        @functools.wraps(fn)
        def without_graph(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return without_graph

    def __repr__(self) -> str:
        return "no_grad()"


def is_grad_enabled() -> bool:
    """Whether operations record the graph now in this thread or task (False inside ``no_grad()``)."""
    return _everywhere or recording_here()
