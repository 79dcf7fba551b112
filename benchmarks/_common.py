"""What the benchmark scripts share: timing a call, and reporting memory and results at the end."""

from __future__ import annotations

import json
import resource
import time


def timed(func, *args, **kwargs):
    """``(func(*args, **kwargs), seconds)``."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def finish(results: dict, json_path: str | None) -> dict:
    """Add and print the peak memory, write ``results`` to ``json_path`` if given."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_memory_mb"] = peak_mb
    print(f"peak memory {peak_mb:.0f} MB")
    if json_path:
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
    return results
