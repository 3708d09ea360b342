"""What the new benchmark scripts share: the machine line printed above their tables."""

from __future__ import annotations

import contextlib
import os
import platform
import time


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
