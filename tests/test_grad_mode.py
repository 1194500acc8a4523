"""Grad mode (no_grad, is_grad_enabled) belongs to a thread and to an asyncio task, as in PyTorch."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

from micrograd.engine import Value, is_grad_enabled, no_grad


def f(x: Value, y: Value) -> Value:
    return (x * y + x.tanh()) * y.exp() + x**2


def finite_differences(a: float, b: float, h: float = 1e-6) -> tuple[float, float]:
    """d f / d a and d f / d b by central differences, on plain floats."""

    def g(x, y):
        return (x * y + math.tanh(x)) * math.exp(y) + x**2

    return (g(a + h, b) - g(a - h, b)) / (2 * h), (g(a, b + h) - g(a, b - h)) / (2 * h)


def run_in_thread(target) -> threading.Thread:
    errors: list[BaseException] = []

    def wrapped():
        try:
            target()
        except BaseException as exc:  # re-raised in the main thread by join_checked
            errors.append(exc)

    t = threading.Thread(target=wrapped, daemon=True)
    t.errors = errors
    t.start()
    return t


def join_checked(t: threading.Thread) -> None:
    t.join(timeout=60)
    assert not t.is_alive(), "the worker thread did not finish"
    if t.errors:
        raise t.errors[0]


def test_a_thread_inside_no_grad_does_not_stop_another_thread_recording():
    inside, done = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            inside.set()
            assert done.wait(timeout=60)
            assert not is_grad_enabled()
            assert (Value(2.0) * 3)._children == ()

    t = run_in_thread(worker)
    assert inside.wait(timeout=60)
    try:
        assert is_grad_enabled()
        x, y = Value(0.3), Value(-0.7)
        out = f(x, y)
        out.backward()
        dx, dy = finite_differences(0.3, -0.7)
        assert x.grad == pytest.approx(dx, rel=1e-7) and y.grad == pytest.approx(dy, rel=1e-7)
    finally:
        done.set()
    join_checked(t)
    assert is_grad_enabled()


def test_many_backward_calls_beside_a_thread_looping_in_no_grad_all_get_right_gradients():
    dx, dy = finite_differences(0.3, -0.7)
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            with no_grad():
                Value(1.0) * 2 + 3

    t = run_in_thread(worker)
    wrong = 0
    try:
        for _ in range(3000):
            x, y = Value(0.3), Value(-0.7)
            f(x, y).backward()
            ok = x.grad == pytest.approx(dx, rel=1e-7) and y.grad == pytest.approx(dy, rel=1e-7)
            wrong += not ok
    finally:
        stop.set()
    join_checked(t)
    assert wrong == 0
    assert is_grad_enabled()


def test_two_threads_entering_and_leaving_interleaved_leave_recording_on():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with no_grad():
            a_in.set()
            assert b_in.wait(timeout=60)
        a_out.set()
        assert is_grad_enabled()

    def thread_b():
        assert a_in.wait(timeout=60)
        with no_grad():
            b_in.set()
            assert a_out.wait(timeout=60)  # A leaves first, B second
            assert not is_grad_enabled()
        assert is_grad_enabled()

    ta, tb = run_in_thread(thread_a), run_in_thread(thread_b)
    join_checked(ta)
    join_checked(tb)
    assert is_grad_enabled()
    x = Value(2.0)
    assert (x * x)._children == (x, x)
    seen = []
    join_checked(run_in_thread(lambda: seen.append(((x * 3)._a is x, is_grad_enabled()))))
    assert seen == [(True, True)]


def test_is_grad_enabled_is_per_thread():
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def worker():
        seen["worker before"] = is_grad_enabled()
        with no_grad():
            seen["worker inside"] = is_grad_enabled()
            entered.set()
            assert release.wait(timeout=60)

    with no_grad():
        t = run_in_thread(worker)  # a new thread starts recording, whatever its parent does
        assert entered.wait(timeout=60)
        seen["main inside"] = is_grad_enabled()
    seen["main after"] = is_grad_enabled()
    release.set()
    join_checked(t)
    assert seen == {"worker before": True, "worker inside": False, "main inside": False, "main after": True}


def test_asyncio_tasks_each_have_their_own_setting():
    async def without_graph(started: asyncio.Event, go_on: asyncio.Event) -> tuple:
        with no_grad():
            started.set()
            await go_on.wait()  # the other task runs here
            return is_grad_enabled(), (Value(1.0) * 2)._children

    async def with_graph(started: asyncio.Event, go_on: asyncio.Event) -> tuple:
        await started.wait()
        x = Value(1.0)
        y = x * 2
        go_on.set()
        await asyncio.sleep(0)
        return is_grad_enabled(), y._children == (x, y._b)

    async def main() -> tuple:
        started, go_on = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(without_graph(started, go_on))
        second = asyncio.create_task(with_graph(started, go_on))
        return await first, await second, is_grad_enabled()

    (enabled_1, children_1), (enabled_2, recorded_2), enabled_main = asyncio.run(main())
    assert (enabled_1, children_1) == (False, ())
    assert (enabled_2, recorded_2) == (True, True)
    assert enabled_main and is_grad_enabled()


def test_the_decorator_nests_and_is_safe_to_share_between_threads():
    @no_grad()
    def predict(x: Value) -> tuple:
        inner = (x * 2)._children
        with no_grad():
            pass
        return inner, (x * 3)._children, is_grad_enabled()

    x = Value(1.5)
    assert predict(x) == ((), (), False)
    assert is_grad_enabled() and (x * 2)._a is x

    results = []
    barrier = threading.Barrier(4)

    def many():
        barrier.wait(timeout=60)
        for _ in range(300):
            results.append(predict(x))

    threads = [run_in_thread(many) for _ in range(4)]
    for t in threads:
        join_checked(t)
    assert results == [((), (), False)] * 1200
    assert is_grad_enabled() and (x * 2)._a is x


def test_one_no_grad_object_shared_by_threads_restores_each():
    scope = no_grad()
    inside, release = threading.Event(), threading.Event()

    def worker():
        with scope:
            inside.set()
            assert release.wait(timeout=60)
        assert is_grad_enabled()

    t = run_in_thread(worker)
    assert inside.wait(timeout=60)
    with scope:
        assert not is_grad_enabled()
    assert is_grad_enabled()
    release.set()
    join_checked(t)
    assert is_grad_enabled()


def test_restored_after_exceptions_nested_and_in_a_thread():
    with pytest.raises(ZeroDivisionError), no_grad(), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()

    def worker():
        with pytest.raises(KeyError), no_grad():
            raise KeyError("boom")
        assert is_grad_enabled()

    join_checked(run_in_thread(worker))
    assert is_grad_enabled()
    x = Value(3.0)
    assert (x + 1)._a is x


def test_a_task_started_inside_no_grad_follows_that_scope_until_it_closes():
    """The task's context is a copy: it sees the scope open, then closed, whatever other threads do."""
    holding, release = threading.Event(), threading.Event()

    def hold():  # keeps a scope open in another thread, so no operation takes the fast path
        with no_grad():
            holding.set()
            assert release.wait(timeout=60)

    async def child(closed: asyncio.Event) -> list:
        seen = [(is_grad_enabled(), (Value(1.0) * 2)._children)]
        await closed.wait()
        x = Value(1.0)
        seen.append((is_grad_enabled(), (x * 2)._a is x))
        with no_grad():
            seen.append((is_grad_enabled(), (x * 2)._children))
        seen.append((is_grad_enabled(), (x * 2)._a is x))
        return seen

    async def main() -> list:
        closed = asyncio.Event()
        with no_grad():
            task = asyncio.create_task(child(closed))
            await asyncio.sleep(0)  # the child's first part runs inside the scope
        closed.set()
        return await task

    t = run_in_thread(hold)
    assert holding.wait(timeout=60)
    try:
        seen = asyncio.run(main())
    finally:
        release.set()
    join_checked(t)
    assert seen == [(False, ()), (True, True), (False, ()), (True, True)]
    assert is_grad_enabled()
