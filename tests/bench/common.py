"""What the benchmark scripts share: the machine line, interleaved rounds, spreads, verdicts.

Every benchmark that has a target ends with :func:`report`: it prints the targets as a table
(measured figure as min–median–max, the ratio the target is judged on, the goal, the verdict)
and, when ``SMSC_BENCH_RESULTS`` names a file, appends them to it as JSON lines, from which
``summary.py`` prints the one table of every target at the end of ``nox -s bench``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

T = TypeVar("T")

RESULTS_VAR = "SMSC_BENCH_RESULTS"


def machine() -> str:
    """Return one line: architecture, cores, CPU model, Python, date."""
    model = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores ({model}), Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )


@contextlib.contextmanager
def emulator_process(*options: str) -> Iterator[str]:
    """Start ``python -m smsc_async.emulator`` with ``options`` in its own process; yield its URL.

    It listens on a free port and prints its base URL first, alone; it records no requests.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsc_async.emulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError("the emulator did not start")
        yield base_url
    finally:
        proc.terminate()
        proc.wait(10)


def rotated(items: Sequence[T], round_no: int) -> list[T]:
    """Return ``items`` started at ``round_no``: every item goes first in turn, round by round.

    Interleaving the contenders inside each round spreads the machine's slow spells over all of
    them; rotating who goes first removes the advantage (warm caches) or penalty (a file still
    being written out) of a fixed place.
    """
    shift = round_no % len(items) if items else 0
    return [*items[shift:], *items[:shift]]


def spread(values: Sequence[float], fmt: str = "{:.0f}") -> str:
    """Return ``min–median–max`` of ``values``, each formatted with ``fmt``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return "–".join(fmt.format(v) for v in (low, mid, high))


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Return the per-round ratios of two interleaved series (round ``i`` against round ``i``)."""
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


@dataclass
class Target:
    """One target of the issue, measured.

    Attributes:
        name: What is measured, e.g. ``save_to() / raw aiohttp file, 512 MiB``.
        measured: The figures as text (min–median–max and the units).
        ratio: The median ratio the verdict is judged on (``None`` for a plain figure).
        goal: The target as text, e.g. ``>= 0.90``.
        met: The verdict; ``None`` when the figure is only reported.
        note: Why, when the verdict needs a word.
    """

    name: str
    measured: str
    ratio: float | None
    goal: str
    met: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        """``met``, ``MISSED`` or ``reported``."""
        return "reported" if self.met is None else ("met" if self.met else "MISSED")


def table(targets: Sequence[Target]) -> str:
    """Return the targets as a Markdown table."""
    lines = [
        "| target | measured (min–median–max) | ratio (median) | goal | verdict |",
        "|---|---|---|---|---|",
    ]
    for t in targets:
        ratio = "" if t.ratio is None else f"{t.ratio:.3f}"
        verdict = t.verdict + (f": {t.note}" if t.note else "")
        lines.append(f"| {t.name} | {t.measured} | {ratio} | {t.goal} | {verdict} |")
    return "\n".join(lines)


def report(bench: str, targets: Sequence[Target]) -> None:
    """Print the targets of one benchmark and record them for the summary."""
    print(f"\ntargets ({bench}):\n{table(targets)}", flush=True)
    path = os.environ.get(RESULTS_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for t in targets:
                out.write(json.dumps({"bench": bench, **asdict(t)}) + "\n")
