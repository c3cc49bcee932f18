"""What every benchmark script shares: its section of bench/RESULTS.md, the machine it ran
on, and the percentile it reports.

Each script under bench/ used to carry its own copy of these, and the copies had started to
drift (two ways of finding the section, two of ending it, two percentile formulas).
One module keeps the results file's format in one place, so a script rewriting its section
cannot disturb the others', and the tables describe their machine alike.

Scripts run as ``python bench/X.py``, so bench/ is ``sys.path[0]`` and they import this as
``from results import ...``.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n"
NL = "\n"


def write_section(name: str, body: str) -> None:
    """Put ``body`` between ``<!-- bench:name -->`` and ``<!-- /bench:name -->`` in RESULTS.md.

    Replaces that section if the file has it, else appends it (creating the file if needed);
    everything outside the markers is left as it was. The closing marker always starts a line
    of its own: a body ending in a newline is taken as is.
    """
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body}{'' if body.endswith(NL) else NL}{end}"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(current):
        # A function, not a string, as replacement: the body may hold backslashes.
        current = pattern.sub(lambda _m: block, current, count=1)
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(current, encoding="utf-8")


def machine_description() -> str:
    """CPU model, core count, memory, OS and Python: what a reader needs to weigh the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        memory = "RAM unknown"
    return (
        f"{cpu}, {os.cpu_count()} CPUs (1-min load average {os.getloadavg()[0]:.1f} as the figures were written), {memory}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def utc_stamp() -> str:
    """When the run happened, to the minute: ``2026-11-24 10:15 UTC``."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_run_summary(outcomes: list[tuple[str, int, float]], commit: str) -> None:
    """The ``run`` section at the top of RESULTS.md, written by ``make bench``: the machine,
    the date, the commit measured and how each script ended, so a reader can tell a fresh
    figure from one a failed script left behind."""
    rows = "".join(
        f"| `{script}` | {'ok' if code == 0 else f'failed (exit {code})'} | {seconds:.0f} s |\n"
        for script, code, seconds in outcomes
    )
    body = (
        "## Last `make bench` run\n\n"
        f"{utc_stamp()}, commit `{commit}`; {machine_description()}.\n"
        "Every script below ran one after another; each rewrote its own section. "
        "A section whose script failed keeps the figures of its previous run (its own date says when).\n\n"
        "| script | outcome | took |\n|---|---|---|\n" + rows
    )
    start = "<!-- bench:run -->"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    if start not in current:
        # The run summary belongs right under the title, above every benchmark's section.
        title, _, rest = current.partition("\n")
        RESULTS.write_text(f"{title}\n\n{start}\n<!-- /bench:run -->\n{rest}", encoding="utf-8")
    write_section("run", body)


def percentile(values: list[float], q: float) -> float:
    """The sample nearest the ``q`` quantile (0 ≤ q ≤ 1), no interpolation: a time that was
    actually measured. ``nan`` when there are no samples (a run that measured nothing)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
