"""Sphinx glue for the book.

* ``nitpick_ignore``: numpydoc-style type names in docstrings (``ndarray``,
  ``array-like``) are not documented targets; with ``-n`` they would raise
  "reference target not found". Lists given in YAML did not take effect,
  so we append here on ``config-inited``.
"""

_IGNORED_TYPES = ["ndarray", "array-like", "numpy.random.Generator", "optional"]


def _ignore_numpydoc_types(app, config):
    for name in _IGNORED_TYPES:
        config.nitpick_ignore.append(("py:class", name))


def setup(app):
    app.connect("config-inited", _ignore_numpydoc_types)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
