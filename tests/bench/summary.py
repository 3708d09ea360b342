"""Print every target ``nox -s bench`` measured, from the file the benchmarks recorded them in.

``python tests/bench/summary.py RESULTS`` (``nox -s bench`` passes the file it set as
``SMSC_BENCH_RESULTS``). A missed target is listed again under the table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import Target, machine, table


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: summary.py RESULTS", file=sys.stderr)
        return 2
    path = Path(sys.argv[1])
    targets: list[Target] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record.pop("bench")
            targets.append(Target(**record))
    if not targets:
        print("no benchmark recorded a target", file=sys.stderr)
        return 1
    print(f"\nEvery target\n{machine()}\n\n{table(targets)}")
    missed = [t.name for t in targets if t.met is False]
    if missed:
        print(f"\nmissed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
