"""Progress bars for long fits: shown to a person, silent in builds and tests.

``progress=None`` (the default everywhere) means: show a bar when a person
is likely watching, that is inside a Jupyter kernel or on a terminal, and
never when the environment variable ``LAND_PROGRESS`` is ``0`` (the book
build and the test suite set it, so their pages and logs stay clean).
``LAND_PROGRESS=1`` forces bars on.
"""

from __future__ import annotations

import os
import sys

from tqdm.std import tqdm

from land._validation import check_flag


def show_progress(progress) -> bool:
    """Whether to draw a progress bar for a ``progress`` argument (None, True or False)."""
    progress = check_flag(progress, "progress", allow_none=True)
    if progress is not None:
        return progress
    setting = os.environ.get("LAND_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def progress_bar(total: int, desc: str, progress):
    """A tqdm counter of iterations up to the limit ``total``, disabled unless :func:`show_progress` says so.

    Fits stop by themselves, usually well before their iteration limit (a
    default fit stops after about 40 of its 100 iterations), so the limit is
    not handed to tqdm as a total: a bar and a time estimate computed from it
    would be wrong. The counter shows the iterations done, the limit as a
    limit, the elapsed time and the rate, and it stays on screen when the fit
    ends (``leave=True``) as a record of how long it took.
    """
    limit = f"{int(total)}" if total is not None else "none"
    return tqdm(total=None, desc=desc, disable=not show_progress(progress), leave=True,
                file=sys.stderr, dynamic_ncols=True, unit="it",
                bar_format="{desc}: {n_fmt} iterations (limit " + limit + ") [{elapsed}, {rate_fmt}]")
