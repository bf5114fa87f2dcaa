"""Helpers shared by the Python baselines of `npm run bench` (stdlib + pyarrow only).

Every baseline prints exactly one line starting with `BENCH_RESULT ` followed by JSON on stdout;
the harness (bench/lib/proc.ts) parses that line and ignores the rest of the output.
"""
import json
import os
import resource
import sys
from datetime import datetime, timezone

TABLES = ("locations", "accelerations")


def emit(result):
    """Prints the one result line the harness reads, with the process's peak RSS added."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest reaped child (e.g. the JVM)
    result.setdefault("peakRssMb", round(max(own, kids) / 1024, 1))
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse_start(text):
    """ISO-8601 → epoch milliseconds (UTC when no zone), as the replay's `start`."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def partition_time(name):
    """`t=052.5` → 52.5, or None for anything else (skipped, like the course's listing would)."""
    if not name.startswith("t="):
        return None
    try:
        return float(name[2:])
    except ValueError:
        return None


def discover(root):
    """[(time, table, dir, [files])] of a BDD-layout folder, sorted like the course's heap pops them."""
    found = []
    for table in TABLES:
        tdir = os.path.join(root, table)
        if not os.path.isdir(tdir):
            continue
        for name in sorted(os.listdir(tdir)):
            t = partition_time(name)
            pdir = os.path.join(tdir, name)
            if t is None or not os.path.isdir(pdir):
                continue
            files = sorted(f for f in os.listdir(pdir) if f.endswith(".parquet") and not f.startswith("."))
            if files:
                found.append((t, table, pdir, files))
    return found


def iso_ms(ms):
    """Epoch milliseconds → `2020-01-01T00:00:04.525Z` (the wire format of the replay's JSON)."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def percentiles(values):
    """Exact nearest-rank p50/p99/max/mean of a list of milliseconds (None when empty)."""
    if not values:
        return None
    s = sorted(values)
    n = len(s)

    def rank(p):
        import math
        return s[min(n - 1, max(0, math.ceil(p * n) - 1))]

    return {"count": n, "p50Ms": rank(0.50), "p99Ms": rank(0.99), "maxMs": s[-1], "meanMs": sum(s) / n}
