"""The parameters a chapter lets its reader change, and the checks tied to them.

Each chapter gathers, in one cell near its top, the values a reader may
change, and pairs each with the value the book uses::

    sd = 0.7
    params = ChapterParameters(sd=(sd, 0.7))

The chapter's hidden checks hold for the book's values. Each one is guarded
by :meth:`ChapterParameters.as_in_book`, so that a reader who changes a value
gets a one-line note instead of a failed assertion, and Run All still goes
through::

    if params.as_in_book():
        assert rejected < 0.01
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["ChapterParameters"]


def _same(value, book_value) -> bool:
    if isinstance(value, (str, bytes)) or isinstance(book_value, (str, bytes)):
        return value == book_value
    try:
        return bool(np.array_equal(np.asarray(value), np.asarray(book_value)))
    except (TypeError, ValueError):
        return value == book_value


def _show(value) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        return f"{float(value):g}"
    return repr(value) if isinstance(value, str) else str(value)


class ChapterParameters:
    """The values a chapter's reader may change, each next to the book's value.

    Parameters
    ----------
    **pairs : tuple of (value, book_value)
        For each parameter, the value the chapter now runs with and the
        value the book uses.

    Attributes
    ----------
    n_skipped : int
        How many checks :meth:`as_in_book` has skipped so far.

    Raises
    ------
    TypeError
        If a parameter is not given as a ``(value, book_value)`` pair.
    ValueError
        If no parameter is given.

    Examples
    --------
    >>> params = ChapterParameters(sd=(0.7, 0.7))
    >>> params.as_in_book()
    True
    >>> params = ChapterParameters(sd=(0.5, 0.7), n_points=(1000, 1000))
    >>> params.changed
    {'sd': (0.5, 0.7)}
    >>> params.as_in_book()
    Check skipped: it holds for the book's sd = 0.7; this run has sd = 0.5.
    False
    >>> params.n_skipped
    1
    """

    def __init__(self, **pairs):
        if not pairs:
            raise ValueError("ChapterParameters needs at least one name=(value, book_value) pair")
        for name, pair in pairs.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"parameter {name!r} must be a (value, book_value) tuple, "
                                f"got {type(pair).__name__}")
        self._pairs = dict(pairs)
        self.n_skipped = 0

    @property
    def changed(self) -> dict:
        """The parameters whose value differs from the book's, as ``{name: (value, book_value)}``.

        Returns
        -------
        dict
        """
        return {name: pair for name, pair in self._pairs.items() if not _same(*pair)}

    def as_in_book(self) -> bool:
        """Whether every parameter has the book's value.

        When one differs, prints a one-line note naming it and counts the
        skipped check, so a guarded assertion is skipped, not failed.

        Returns
        -------
        bool
            True when the chapter runs with the book's values.
        """
        changed = self.changed
        if not changed:
            return True
        self.n_skipped += 1
        book = ", ".join(f"{name} = {_show(pair[1])}" for name, pair in changed.items())
        now = ", ".join(f"{name} = {_show(pair[0])}" for name, pair in changed.items())
        print(f"Check skipped: it holds for the book's {book}; this run has {now}.")
        return False

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={_show(pair[0])}" for name, pair in self._pairs.items())
        return f"ChapterParameters({inner})"
