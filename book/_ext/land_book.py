"""Sphinx glue for the book.

* ``nitpick_ignore``: numpydoc-style type names in docstrings (``ndarray``,
  ``array-like``) are not documented targets; with ``-n`` they would raise
  "reference target not found". Lists given in YAML did not take effect,
  so we append here on ``config-inited``.
* alt text: figure images get their caption as alt text.
* responsive figures: the wide and stacked drawings that
  ``land.plotting.responsive_html`` embeds are written to ``_images/``.
* progress bars: ``LAND_PROGRESS=0`` for the kernels that run the chapters.
* ``.ipynb`` downloads: every chapter written as a MyST notebook is
  converted to a Jupyter notebook at build time (jupytext, no outputs: the
  reader runs it) and written next to the page sources, with citations and
  cross-references written out as text, and the theme's
  download menu offers it (sphinx-book-theme shows an ``.ipynb`` entry when
  the page context has ``ipynb_source``).
"""

from __future__ import annotations

import os
import re
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
            image["alt"] = _caption_alt(caption)


def _caption_alt(caption) -> str:
    text = _plain(caption.astext())
    return text if len(text) <= 300 else text[:297].rsplit(" ", 1)[0] + "..."


_DATA_SVG = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def _responsive_figures(app, doctree, docname):
    """Write the two drawings of each responsive figure to files, shown through one ``<picture>``.

    ``land.plotting.responsive_html`` embeds both drawings of a figure (wide
    and stacked) as data URIs, which works anywhere, Jupyter included; in the
    book they become files under ``_images/`` like every other figure, so a
    page stays small and the browser caches them. Two ``<img>`` elements, one
    hidden by CSS, would still both be downloaded; a ``<picture>`` whose
    ``<source>`` holds the stacked drawing for narrow windows makes the
    browser fetch only the drawing it shows.
    """
    import base64
    import hashlib
    import html
    import posixpath

    from docutils import nodes

    if app.builder.format != "html":
        return
    images = Path(app.outdir) / "_images"
    page_dir = posixpath.dirname(app.builder.get_target_uri(docname))
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or "data:image/svg+xml" not in raw.astext():
            continue
        figure = next((n for n in _ancestors(raw) if isinstance(n, nodes.figure)), None)
        caption = next(iter(figure.findall(nodes.caption)), None) if figure is not None else None
        alt = html.escape(_caption_alt(caption), quote=True) if caption is not None else "A figure"

        def to_file(data):
            svg = base64.b64decode(data)
            name = hashlib.sha256(svg).hexdigest()[:32] + ".svg"
            images.mkdir(parents=True, exist_ok=True)
            (images / name).write_bytes(svg)
            return posixpath.relpath("_images/" + name, page_dir or ".")

        drawings = [to_file(data) for data in _DATA_SVG.findall(raw.astext())]
        if len(drawings) == 2:
            wide, narrow = drawings
            text = (f'<div class="land-figure"><picture>'
                    f'<source media="(max-width: {_breakpoint_px()}px)" srcset="{narrow}">'
                    f'<img class="land-figure-picture" src="{wide}" alt="{alt}"></picture></div>')
        else:
            text = "".join(f'<img src="{src}" alt="{alt}">' for src in drawings)
        raw.replace_self(nodes.raw("", text, format="html"))


def _breakpoint_px() -> int:
    from land.plotting._responsive import BREAKPOINT_PX

    return BREAKPOINT_PX


_NUMBER_CELL = re.compile(r"^[\s\d.,:;±+\-−–—%×x()\[\]/<>≤≥=~≈*]*(nan|inf)?[\s\d.,±+\-−–%×()/]*"
                          r"(s|ms|rad|nats?|px|MB|kB|%)?$")


def _mark_number_cells(app, doctree, docname):
    """Give table cells that hold a number (or a number ± its error) the class ``land-number``.

    The stylesheet keeps such cells on one line, so "0.288 ± 0.002" is not
    spread over three lines and a table that is then too wide scrolls in its
    own box.
    """
    from docutils import nodes

    for entry in doctree.findall(nodes.entry):
        text = re.sub(r"(?<=\d)e(?=[-+−]?\d)", "", " ".join(entry.astext().split()))  # 1e-3
        if text and len(text) <= 32 and any(c.isdigit() for c in text) and _NUMBER_CELL.match(text):
            entry["classes"].append("land-number")


_INLINE_LITERAL = re.compile(r'(<span class="pre">)([^<]*)(</span>)')
_BREAK_AFTER = re.compile(r"([./])(?=[A-Za-z_])")


def _tidy_page(app, pagename, templatename, context, doctree):
    """Page-level fixes: inline code may break after a dot, and no unused thebe scripts.

    * In inline code, ``<wbr>`` after each dot or slash followed by a name, so
      ``land.experiments.study.run_one`` may wrap at its dots on a phone.
    * sphinx-thebe (added by Jupyter Book 1.x whether or not a page uses it)
      puts a configuration script on every page, twice over, and the second
      copy throws "Identifier 'THEBE_JS_URL' has already been declared". This
      book does not launch code online, so its scripts are dropped.
    """
    body = context.get("body")
    if body:
        context["body"] = _INLINE_LITERAL.sub(
            lambda m: m.group(1) + _BREAK_AFTER.sub(r"\1<wbr>", m.group(2)) + m.group(3), body)
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [js for js in scripts if not _is_thebe(js)]


def _is_thebe(js) -> bool:
    name = str(getattr(js, "filename", js) or "")
    body = str(getattr(js, "attributes", {}).get("body", "") or "")
    return "thebe" in name.lower() or "THEBE_JS_URL" in body


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
            notebook = jupytext.read(source)
            exercises = _exercise_numbers(notebook)
            cells = []
            for cell in notebook.cells:
                if cell.cell_type == "markdown":
                    cell.source = plain_markdown(_plain_roles(app, cell.source), exercises)
                    if not cell.source.strip():
                        continue  # a cell that held only a label or a solution's end
                cells.append(cell)
            notebook.cells = cells
            jupytext.write(notebook, target, fmt="ipynb")


_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z-]+)\}\s*(?P<argument>.*?)\s*$")
_OPTION = re.compile(r"^:[a-z_-]+:")
_LABEL_LINE = re.compile(r"^\([A-Za-z0-9_:.-]+\)=\s*$")
_ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
                "warning": "Warning", "caution": "Caution", "attention": "Attention",
                "danger": "Danger", "error": "Error", "seealso": "See also"}


def _exercise_numbers(notebook) -> dict[str, int]:
    """Exercise labels of a notebook in order of appearance, numbered from 1 as on the page."""
    labels: dict[str, int] = {}
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for k, line in enumerate(lines):
            found = _FENCE.match(line)
            if found and found.group("name") == "exercise":
                option = next((ln for ln in lines[k + 1:k + 4] if ln.startswith(":label:")), None)
                key = option.split(":label:", 1)[1].strip() if option else f"#{len(labels)}"
                labels[key] = len(labels) + 1
    return labels


def plain_markdown(text: str, exercises: dict[str, int]) -> str:
    """MyST Markdown of one cell as plain Jupyter Markdown.

    Jupyter shows MyST's directives and targets as literal text, so the
    notebook offered for download writes them out: a target line
    ``(label)=`` is dropped; an admonition becomes a quoted block with a
    bold title; an exercise becomes a numbered heading ("Exercise 2", as on
    the page, with its title if it has one) followed by its text; a gated
    solution's start becomes a heading "Solution to Exercise 2" (its code
    cells follow as ordinary cells) and its end disappears. Directive
    options (``:class:``, ``:label:``) are dropped with their directive.
    Anything else, code blocks and math included, is left as it is.
    """
    out: list[str] = []
    lines = text.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if _LABEL_LINE.match(line):
            k += 1
            continue
        found = _FENCE.match(line)
        if not found or found.group("name") in ("code-cell", "math"):
            out.append(line)
            k += 1
            continue
        fence, name, argument = found.group("fence"), found.group("name"), found.group("argument")
        end = k + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        options = [ln for ln in lines[k + 1:end] if _OPTION.match(ln)]
        body = [ln for ln in lines[k + 1:end] if not _OPTION.match(ln)]
        label = next((ln.split(":label:", 1)[1].strip() for ln in options if ln.startswith(":label:")), "")
        while body and not body[0].strip():
            body.pop(0)
        if name == "admonition" or name in _ADMONITIONS:
            title = argument or _ADMONITIONS.get(name, "Note")
            out.append(f"> **{title}**")
            out.append(">")
            out.extend(f"> {ln}".rstrip() for ln in body)
        elif name == "exercise":
            number = exercises.get(label)
            heading = f"Exercise {number}" if number else "Exercise"
            out.append(f"### {heading}" + (f": {argument}" if argument else ""))
            out.append("")
            out.extend(body)
        elif name in ("solution-start", "solution"):
            number = exercises.get(argument)
            out.append(f"#### Solution to Exercise {number}" if number else "#### Solution")
            out.append("")
            out.extend(body)
        elif name == "solution-end":
            pass
        else:  # an unknown directive: keep its text, lose the fence
            out.extend(body)
        k = end + 1
    squeezed = [ln for k, ln in enumerate(out) if ln.strip() or k == 0 or out[k - 1].strip()]
    return "\n".join(squeezed).strip("\n") + ("\n" if text.endswith("\n") else "")


_ROLE = re.compile(r"\{(cite|ref|numref|mod|func|class|meth|eq)\}`([^`]*)`")


def _plain_roles(app, text: str) -> str:
    """Markdown that Jupyter shows as the page does: MyST roles replaced by their text.

    ``{cite}`key``` becomes "(Author Year)", ``{ref}`` the section's title,
    ``{numref}`` "Figure 4.1" as numbered in the book, ``{mod}`` and the
    other code roles the name in backticks.
    """
    labels = app.env.get_domain("std").labels

    def cite(keys):
        return "(" + "; ".join(_citation(app, key.strip()) for key in keys.split(",")) + ")"

    def reference(role, body):
        shown = re.match(r"(.*?)\s*<([^<>]+)>$", body)
        label = shown.group(2) if shown else body
        docname, target, title = labels.get(label, (None, None, ""))
        if shown and "{number}" not in shown.group(1):
            return shown.group(1)
        if role == "numref" and docname is not None:
            number = app.env.toc_fignumbers.get(docname, {}).get("figure", {}).get(target)
            if number:
                return f"Figure {'.'.join(map(str, number))}"
        return title or label

    def replace(match):
        role, body = match.groups()
        if role == "cite":
            return cite(body)
        if role in ("ref", "numref", "eq"):
            return reference(role, body)
        return f"`{body.lstrip('~')}`"

    return _ROLE.sub(replace, text)


def _citation(app, key: str) -> str:
    entries = _bibliography(app)
    entry = entries.get(key)
    if entry is None:
        return key
    authors = entry.persons.get("author", [])
    names = [" ".join(person.last_names) for person in authors]
    who = names[0] + (" et al." if len(names) > 2 else f" and {names[1]}" if len(names) == 2 else "")
    return f"{who} {entry.fields.get('year', '')}".strip()


def _bibliography(app):
    if not hasattr(app, "_land_bibliography"):
        from pybtex.database import parse_file

        entries = {}
        for name in app.config.bibtex_bibfiles:
            entries.update(parse_file(str(Path(app.srcdir) / name)).entries)
        app._land_bibliography = entries
    return app._land_bibliography


def setup(app):
    app.connect("config-inited", _ignore_numpydoc_types)
    app.connect("missing-reference", _resolve_in_land)
    app.connect("doctree-resolved", _alt_from_captions)
    app.connect("doctree-resolved", _responsive_figures)
    app.connect("doctree-resolved", _mark_number_cells)
    app.connect("html-page-context", _tidy_page)
    # The chapters' kernels start after this and inherit it: fits draw no progress bars in the pages.
    os.environ["LAND_PROGRESS"] = "0"
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_ipynb, priority=400)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
