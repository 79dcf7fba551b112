"""Sphinx glue for the book.

* ``nitpick_ignore``: numpydoc-style type names in docstrings (``ndarray``,
  ``array-like``) are not documented targets; with ``-n`` they would raise
  "reference target not found". Lists given in YAML did not take effect,
  so we append here on ``config-inited``.
* alt text: figure images get their caption as alt text.
* ``.ipynb`` downloads: every chapter written as a MyST notebook is
  converted to a Jupyter notebook at build time (jupytext, no outputs: the
  reader runs it) and written next to the page sources, and the theme's
  download menu offers it (sphinx-book-theme shows an ``.ipynb`` entry when
  the page context has ``ipynb_source``).
"""

from __future__ import annotations

from pathlib import Path

_IGNORED_TYPES = ["ndarray", "array-like", "numpy.random.Generator", "optional"]
# Types and exceptions that docstrings name but that have no target without intersphinx
# (which needs the network): builtins, numpy, scikit-learn.
_IGNORED_PATTERNS = [
    (r"py:(class|exc|obj)", r"(TypeError|ValueError|RuntimeError|FloatingPointError|"
                            r"AttributeError|KeyError|float|int|bool|str|dict|list|tuple|"
                            r"object|callable|None|sequence|array_like|"
                            r"(numpy|np|scipy|sklearn|matplotlib|typing)\..*)"),
    (r"py:class", r".*(shape|ndarray|array|of|int|bool|float|str|or|default|=|\[|\]).*"),
    # Shape symbols that napoleon splits out of "shape=[n, d]": n, d, N_ok, n_iter + 1, 3, K.
    (r"py:class", r"([a-z_0-9][a-z_0-9 +]*|[A-Z](_ok)?|\d+)"),
]


def _ignore_numpydoc_types(app, config):
    for name in _IGNORED_TYPES:
        config.nitpick_ignore.append(("py:class", name))
    config.nitpick_ignore_regex.extend(_IGNORED_PATTERNS)


_LAND_NAMESPACES = ("land.", "land.model.", "land.data.datasets.")


def _resolve_in_land(app, env, node, contnode):
    """Resolve ``Sphere``, ``fit_land`` or ``land.geometry.Geometry`` to where the API page documents it.

    Docstrings name objects as their own module sees them; the API page
    documents each once, under the name users import (mostly ``land.X``).
    """
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    last = node["reftarget"].lstrip("~.").rsplit(".", 1)[-1]
    for prefix in _LAND_NAMESPACES:
        found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                    prefix + last, node, contnode)
        if found is not None:
            return found
    return None


def _alt_from_captions(app, doctree, docname):
    """Give every figure image the figure's caption as alt text (myst-nb leaves its file path).

    A screen reader, or a reader whose images fail to load, then gets what the
    figure shows instead of a hash-named file path.
    """
    from docutils import nodes

    for image in doctree.findall(nodes.image):
        alt = image.get("alt", "")
        if alt and "/" not in alt and not alt.endswith((".png", ".svg")):
            continue
        figure = next((n for n in _ancestors(image) if isinstance(n, nodes.figure)), None)
        caption = next(iter(figure.findall(nodes.caption)), None) if figure is not None else None
        if caption is not None:
            text = _plain(caption.astext())
            image["alt"] = text if len(text) <= 300 else text[:297].rsplit(" ", 1)[0] + "..."


def _plain(text: str) -> str:
    """Caption text for alt: TeX commands read as words, braces and dollars dropped."""
    import re

    text = re.sub(r"\\math(?:bf|rm|it|cal)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r" \1 ", text)
    text = re.sub(r"[{}$\\]", "", text)
    return " ".join(text.split())


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _is_notebook(path: Path) -> bool:
    if path.suffix != ".md" or not path.exists():
        return False
    head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
    return head.startswith("---") and "kernelspec:" in head


def _offer_ipynb(app, pagename, templatename, context, doctree):
    source = Path(app.env.doc2path(pagename)) if pagename in app.env.all_docs else None
    if source is not None and _is_notebook(source):
        context["ipynb_source"] = f"{pagename}.ipynb"


def _write_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import jupytext

    for docname in sorted(app.env.all_docs):
        source = Path(app.env.doc2path(docname))
        if _is_notebook(source):
            target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(source), target, fmt="ipynb")


def setup(app):
    app.connect("config-inited", _ignore_numpydoc_types)
    app.connect("missing-reference", _resolve_in_land)
    app.connect("doctree-resolved", _alt_from_captions)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_ipynb, priority=400)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
