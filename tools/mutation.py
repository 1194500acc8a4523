"""Mutation testing of the derivatives: does some test fail when the code is made wrong?

``make mutation`` (or ``python tools/mutation.py``) makes single edits ("mutants") to the
code that computes values and derivatives (the primitive table, the graph walk and the
gradient accumulation, the compiled rules and reductions, gradcheck), runs a targeted
selection of the tests against each mutant, and prints

    mutation score: K of N killed, E equivalent

and every mutant that survived. A mutant is killed when the tests fail (or time out).
One that cannot change any result is listed, with the reason, in
``tools/mutation_equivalent.txt``; those are not run. Mutants are identified by file,
scope (function, or a table entry) and the edited line before and after, never by line
number, so the list survives edits elsewhere in the files.

Each mutant is written into a temporary copy of the package (the working tree is never
edited) and the tests run there, two at a time at most, each pytest in a session of its own:
on a timeout, and when the tool stops (Ctrl-C, SIGTERM, an error), that whole process group is
killed, so no test's child outlives it. Options: ``--only TEXT`` (repeatable) runs the mutants
whose name contains TEXT, ``--list`` prints them without running, ``--workers``, ``--timeout``.
The edits themselves are made by ``tools/mutation_edits.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mutation_edits import Mutant, mutants_of  # tools/, the script's folder, is on the path

ROOT = Path(__file__).resolve().parents[1]
RULE_NAMES = ["add", "sub", "mul", "div", "pow", "neg", "pow_const", "exp", "log", "tanh", "sigmoid", "relu"]
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")

# the tests run against a mutant, in stages (pytest's options, then the files): the next stage
# runs only if the mutant survived the last. The first stage is quick (no hypothesis, no PyTorch)
# and kills most mutants; the million-node chain takes seconds and tests the walk's depth only.
PYTEST = ["-x", "-q", "-p", "no:cacheprovider"]
QUICK = ["-p", "no:hypothesispytest"]
FULL = ["--hypothesis-seed=0", "-k", "not million_node"]
CORE_TESTS = [  # the compiled backend reads the engine's nodes too
    [*QUICK, "tests/test_exact_cases.py", "tests/test_exact_compiled.py"],
    [*FULL, "tests/test_engine.py", "tests/test_ops.py", "tests/test_higher_order.py"]
    + [
        "tests/test_overflow.py",
        "tests/test_int_overflow.py",
        "tests/test_hand_written.py",
        "tests/test_define_op.py",
        "tests/test_compiled_pow_domain.py",  # eager ** against PyTorch over the whole domain
    ],
]
COMPILED_TESTS = [
    [
        *QUICK,
        "tests/test_exact_compiled.py",
        "tests/test_compiled_pow_domain.py",
        "tests/test_compile_exact_grids.py",
    ],
    [*FULL, "tests/test_compile.py"],
]
# file -> (the scopes mutated, None for every function and table; the tests run against it)
TARGETS: dict[str, tuple[list[str] | None, list[list[str]]]] = {
    "micrograd/primitives.py": (None, CORE_TESTS),
    "micrograd/engine.py": (
        [
            "sum_of",
            "dot",
            "Value.__radd__",
            "Value.__rsub__",
            "Value.__rmul__",
            "Value.__rtruediv__",
            "Value.__rpow__",
            "_chain",
            "Value._backward",
            "Value.backward",
            "Value._backward_with_graph",
            "adjoints",
            "topological_order",
        ],
        CORE_TESTS,
    ),
    "micrograd/gradcheck.py": (
        ["numerical_gradient", "analytic_gradient", "gradcheck", "numerical_hessian", "gradgradcheck"],
        CORE_TESTS[:1],
    ),
    "micrograd/compiled/rules.py": (
        [
            "_libm.exact",
            "_sigmoid",
            "_base_derivative",
            "_exponent_derivative",
            "_pow_refused",
            *(f"RULES[{name!r}]" for name in RULE_NAMES),
            "add_rows",
        ],
        COMPILED_TESTS,
    ),
    "micrograd/compiled/plan.py": (
        ["plan_op.forward", "plan_op.backward", "plan_sum.forward", "plan_sum.backward"]
        + ["reduction.bincount", "_rows.fill", "_rows.add"],
        COMPILED_TESTS,
    ),
    "micrograd/compiled/program.py": (
        ["Program.backward", "Program._run_backward"],
        COMPILED_TESTS,
    ),
    "micrograd/compiled/exact_grids.py": (
        ["grid_steps.forward", "grid_steps.backward", "fill_runs.add"],
        COMPILED_TESTS,
    ),
}


def equivalent_list() -> dict[str, str]:
    """id -> reason, from tools/mutation_equivalent.txt (``id  # reason`` per entry)."""
    found = {}
    if not EQUIVALENT.exists():
        return found
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        mutant, _, reason = line.partition("  # ")
        if not reason.strip():
            raise SystemExit(f"{EQUIVALENT.name}: every equivalent mutant needs its reason: {line!r}")
        found[mutant.strip()] = reason.strip()
    return found


def make_copy() -> Path:
    """A temporary copy of the package, the tests and the pages they read, where mutants are written."""
    where = Path(tempfile.mkdtemp(prefix="micrograd-mutant-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "micrograd", where / "micrograd", ignore=ignore)
    shutil.copytree(ROOT / "tests", where / "tests", ignore=ignore)
    shutil.copytree(ROOT / "docs", where / "docs", ignore=shutil.ignore_patterns("images", "*.ipynb"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, where)
    if (ROOT / ".venv").exists():  # the original micrograd 0.1.0, for the `original` fixture
        (where / ".venv").symlink_to(ROOT / ".venv")
    return where


class Sessions:
    """The pytest runs under way, each the leader of a session (and process group) of its own, so
    that a timeout or ``stop()`` kills it with every process its tests started."""

    def __init__(self) -> None:
        self.live: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopped = False

    def run(self, args: list[str], cwd: Path, env: dict, timeout: float) -> tuple[int | None, str]:
        """(the return code, None on a timeout or after ``stop()``; the output's tail)."""
        with self.lock:
            if self.stopped:
                return None, ""
            proc = subprocess.Popen(
                args,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group, killed as one
            )
            self.live.add(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
            return (None if self.stopped else proc.returncode), out[-6000:]
        except subprocess.TimeoutExpired:
            return None, ""
        finally:
            _kill_group(proc)  # on a timeout, and any child a finished run left behind
            proc.kill()  # (the leader, even if its group could not be killed)
            proc.wait()
            proc.stdout.close()
            with self.lock:
                self.live.discard(proc)

    def stop(self) -> None:
        """Kill every run under way (with its children) and start no more."""
        with self.lock:
            self.stopped = True
            for proc in self.live:
                _kill_group(proc)
                proc.kill()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # a session's process group id is its leader's pid
    except (ProcessLookupError, PermissionError):  # the group has no process left
        pass


def run_tests(copy: Path, stages: list[list[str]], timeout: float, sessions: Sessions) -> tuple[bool, float]:
    """(whether every stage's tests passed, seconds) in ``copy``, its package first on the path."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter()
    for tests in stages:
        code, out = sessions.run([sys.executable, "-m", "pytest", *PYTEST, *tests], copy, env, timeout)
        if code is None:  # timed out (or stopped)
            return False, time.perf_counter() - t0
        if code not in (0, 1, 2):  # 5: nothing collected, 3/4: pytest itself failed
            raise SystemExit(f"pytest failed to run in {copy}:\n{out}")
        if code:
            return False, time.perf_counter() - t0
    return True, time.perf_counter() - t0


def run_all(to_run: list[Mutant], copies: list[Path], timeout, sessions: Sessions) -> list[Mutant]:
    """The survivors among ``to_run``, tested one per copy at a time; ``timeout(tests)`` in seconds."""
    originals = {path: (ROOT / path).read_text(encoding="utf-8") for path in TARGETS}
    free = list(copies)
    survivors: list[Mutant] = []
    done: list[Mutant] = []

    def test(m: Mutant) -> None:
        copy = free.pop()
        try:
            tests = TARGETS[m.path][1]
            (copy / m.path).write_text(m.text, encoding="utf-8")
            survived, _ = run_tests(copy, tests, timeout(tests), sessions)
            if survived:
                survivors.append(m)
                print(f"survived: {m.id}", flush=True)
        finally:
            (copy / m.path).write_text(originals[m.path], encoding="utf-8")
            free.append(copy)
            done.append(m)
            if len(done) % 50 == 0:
                print(f"{len(done)} of {len(to_run)} mutants tested", file=sys.stderr, flush=True)

    pool = ThreadPoolExecutor(len(copies))
    try:
        list(pool.map(test, to_run))
    finally:  # Ctrl-C, SIGTERM or an error: kill what runs, start nothing more
        if len(done) < len(to_run):
            sessions.stop()
        pool.shutdown(wait=True, cancel_futures=True)
    return survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the mutants whose name contains this text (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="print the mutants' ids and exit")
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--timeout", type=float, default=0, help="seconds per mutant (default: 5x baseline)")
    args = parser.parse_args(argv)
    t_start = time.perf_counter()
    mutants = [m for path, (wanted, _) in TARGETS.items() for m in mutants_of(path, wanted)]
    mutants = [m for m in mutants if not args.only or any(text in m.id for text in args.only)]
    equivalent = equivalent_list()
    if args.list:
        for m in mutants:
            print(("[equivalent] " if m.id in equivalent else "") + m.id)
        return 0
    ids = {m.id for m in mutants}
    stale = [e for e in equivalent if e not in ids] if not args.only else []
    to_run = [m for m in mutants if m.id not in equivalent]
    copies = [make_copy() for _ in range(max(1, min(args.workers, 2)))]
    sessions = Sessions()
    sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so that the cleanup below runs
    try:
        baseline = {}  # the unmutated tests must pass (else every mutant would count as killed)
        for tests in [TARGETS[path][1] for path in dict.fromkeys(m.path for m in to_run)]:
            key = repr(tests)
            if key not in baseline:
                ok, seconds = run_tests(copies[0], tests, 900, sessions)
                if not ok:
                    print(f"the unmutated tests fail: {tests}", file=sys.stderr)
                    return 2
                baseline[key] = seconds
        survivors = run_all(
            to_run, copies, lambda tests: args.timeout or max(60.0, 5 * baseline[repr(tests)]), sessions
        )
    finally:
        sessions.stop()
        signal.signal(signal.SIGTERM, sigterm)
        for c in copies:
            shutil.rmtree(c, ignore_errors=True)
    n, e = len(mutants), len(mutants) - len(to_run)
    minutes = (time.perf_counter() - t_start) / 60
    print(f"files: {', '.join(TARGETS)}")
    print(f"mutation score: {len(to_run) - len(survivors)} of {n} killed, {e} equivalent")
    print(f"({n} mutants, {minutes:.1f} min with {len(copies)} workers)")
    for m in sorted(survivors, key=lambda m: m.id):
        print(f"  survivor: {m.id}")
    for s in stale:
        print(f"  {EQUIVALENT.name}: no such mutant any more: {s}")
    return 1 if survivors or stale else 0


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
