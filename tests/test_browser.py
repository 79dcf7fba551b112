"""Browser checks of the built book: headless Chromium opens every page.

Run after ``make book`` (``make test`` runs it with the other tests). For
every HTML page of ``_build/html`` (all pages except ``genindex.html``,
``search.html`` and the root ``index.html`` redirect, which is checked on its
own) the page is served over HTTP on 127.0.0.1, loaded in headless Chromium,
and MathJax is awaited. Then:

* every ``<img>`` has loaded (``complete`` and ``naturalWidth > 0``);
* every math element was typeset by MathJax (holds an ``mjx-container``), no
  TeX error is shown, and no raw ``\\(``, ``\\[`` or ``\\begin{`` is left in the
  visible text; MathJax itself comes from the site (no CDN), and the page
  makes no request to any other host, so the book renders offline;
* the page shows no Python traceback and no error output: no text
  "Traceback (most recent call last)", no myst-nb output of kind
  ``traceback``/``stderr``/``error``, no docutils ``system-message`` or
  ``problematic`` node, no failed same-site request and no uncaught
  JavaScript error;
* across the book, the five report figures ``fig-report-1`` ...
  ``fig-report-5`` (myst-nb gives a figure named ``fig-report-N`` the element
  id ``fig-report-N``) are present once each, with a loaded image and a
  caption that names "Report Figure N".

Chromium is Debian's (``/usr/bin/chromium`` or ``chromium`` on ``PATH``, or
the path in ``LAND_CHROMIUM``), driven by the PyPI ``playwright`` package
through ``executable_path`` (no browser download). Without Chromium, without
playwright or without a built book the tests are skipped with a message
saying how to enable them, unless ``LAND_BROWSER_REQUIRED=1`` (set by
``.ci/run``), in which case they fail. ``LAND_BOOK_HTML`` points the tests at
another build (default: ``<repo>/_build/html``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

REPO = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("LAND_BOOK_HTML", REPO / "_build" / "html")).resolve()
REQUIRED = os.environ.get("LAND_BROWSER_REQUIRED", "") not in ("", "0")
REPORT_FIGURES = [f"fig-report-{k}" for k in range(1, 6)]
SKIPPED_PAGES = {"genindex.html", "search.html", "index.html"}  # at the root only
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGE_TIMEOUT_MS = 30_000
# Uncaught JavaScript errors that are known, harmless and not ours: in this
# Jupyter Book 1.x build every page carries sphinx-thebe 0.3.1's inline config
# script ("const THEBE_JS_URL = ...") twice, so the second copy fails to
# redeclare the constants the first one already defined (thebe, the "run code
# online" feature, is not used by this book). Matched exactly.
KNOWN_JS_ERRORS = {"Identifier 'THEBE_JS_URL' has already been declared"}


def _unavailable(reason: str):
    """Skip, or fail where the browser checks are required (CI)."""
    if REQUIRED:
        pytest.fail(f"{reason} (LAND_BROWSER_REQUIRED is set, so this is an error)")
    pytest.skip(reason)


def _chromium_path() -> str | None:
    candidates = [os.environ.get("LAND_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _book_pages() -> list[str]:
    """Paths (relative to the HTML root, with '/') of the pages to open."""
    if not HTML_DIR.is_dir():
        return []
    pages = []
    for path in sorted(HTML_DIR.rglob("*.html")):
        rel = path.relative_to(HTML_DIR)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue  # _static, _sources, _images: assets, not pages of the book
        if len(rel.parts) == 1 and rel.name in SKIPPED_PAGES:
            continue
        pages.append(rel.as_posix())
    return pages


PAGES = _book_pages()


# Runs in the page after load. Waits for MathJax's first typesetting and for
# every image, then reports what the Python side asserts on.
INSPECT_PAGE_JS = r"""
async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === "lazy") { img.loading = "eager"; } }
  await Promise.all(imgs.map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener("load", resolve, {once: true});
    img.addEventListener("error", resolve, {once: true});
    setTimeout(resolve, 15000);
  })));
  const loaded = (img) => img.complete && img.naturalWidth > 0;
  const text = (el, n) => (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, n);

  const mathEls = Array.from(document.querySelectorAll(".math"));
  const raw = [];
  const skip = "PRE, CODE, SCRIPT, STYLE, TEXTAREA, MJX-CONTAINER, .highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement && node.parentElement.closest(skip)) { continue; }
    if (/\\\(|\\\[|\\begin\{/.test(node.data)) { raw.push(node.data.trim().slice(0, 120)); }
  }
  const errorSelector = [
    ".output.traceback", ".output.stderr", ".output.error",
    ".cell_output .traceback", ".cell_output .stderr", ".cell_output .error",
    ".system-message", ".problematic",
  ].join(", ");
  const figures = [];
  for (const el of document.querySelectorAll("[id^='fig-']")) {
    const fig = el.tagName === "FIGURE" ? el : (el.querySelector("figure") || el.closest("figure"));
    figures.push({
      id: el.id,
      is_figure: fig !== null,
      caption: fig && fig.querySelector("figcaption") ? text(fig.querySelector("figcaption"), 300) : "",
      images: fig ? Array.from(fig.querySelectorAll("img")).map(loaded) : [],
    });
  }
  return {
    url: location.href,
    images: imgs.map((img) => ({src: img.getAttribute("src"), loaded: loaded(img)})),
    n_math: mathEls.length,
    n_mjx: document.querySelectorAll("mjx-container").length,
    untypeset: mathEls.filter((el) => !el.querySelector("mjx-container")).map((el) => text(el, 120)),
    tex_errors: Array.from(document.querySelectorAll("mjx-merror")).map(
      (el) => el.getAttribute("data-mjx-error") || "TeX error"),
    raw_tex: raw,
    mathjax_scripts: Array.from(document.scripts).filter((s) => /mathjax/i.test(s.src)).map((s) => s.src),
    mathjax_version: (mj && mj.version) || null,
    has_traceback_text: (document.body.textContent || "").includes("Traceback (most recent call last)"),
    error_outputs: Array.from(document.querySelectorAll(errorSelector)).map(
      (el) => `${el.className}: ${text(el, 200)}`),
    figures: figures,
  };
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site():
    """The built book served on 127.0.0.1 (a free port) for the module; yields the base URL."""
    if not PAGES:
        _unavailable(f"no built book in {HTML_DIR}: run `make book` first "
                     "(or point LAND_BOOK_HTML at a build's html folder)")
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the whole module, driven by playwright."""
    executable = _chromium_path()
    if executable is None:
        _unavailable("Chromium not found (/usr/bin/chromium, `chromium` on PATH or LAND_CHROMIUM): "
                     "install it with `apt-get install chromium` to enable the browser checks "
                     "(CI's .ci/run installs it before `make test`)")
    if sync_playwright is None:
        _unavailable("the playwright package is missing: install the pinned requirements "
                     "(`make test` does, or `.venv/bin/pip install -r requirements.txt`)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def inspect(site, browser):
    """``inspect(page)``: open a page once (cached) and return what it showed.

    The result is the dict of ``INSPECT_PAGE_JS`` plus ``offsite`` (requests to
    any other host, aborted), ``failed`` (same-site requests that failed or got
    an HTTP error) and ``js_errors`` (uncaught exceptions in the page).
    """
    cache: dict[str, dict] = {}

    def visit(page_path: str) -> dict:
        if page_path in cache:
            return cache[page_path]
        offsite, failed, js_errors = [], [], []
        origin = urlsplit(site)

        def route(rt):
            url = urlsplit(rt.request.url)
            if url.scheme in ("http", "https", "ws", "wss") and url.netloc != origin.netloc:
                offsite.append(rt.request.url)
                rt.abort()
            else:
                rt.continue_()

        def on_response(response):
            url = urlsplit(response.url)
            # The browser's own favicon probe is not a request of the book.
            if response.status >= 400 and url.netloc == origin.netloc and url.path != "/favicon.ico":
                failed.append(f"HTTP {response.status} {response.url}")

        def on_request_failed(request):
            if urlsplit(request.url).netloc == origin.netloc:
                failed.append(f"{request.failure} {request.url}")

        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        try:
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            context.route("**/*", route)
            page = context.new_page()
            page.on("response", on_response)
            page.on("requestfailed", on_request_failed)
            page.on("pageerror", lambda exc: js_errors.append(str(exc)))
            page.goto(f"{site}/{page_path}", wait_until="load")
            result = page.evaluate(INSPECT_PAGE_JS)
        finally:
            context.close()
        result.update(offsite=offsite, failed=failed, js_errors=js_errors)
        cache[page_path] = result
        return result

    return visit


@pytest.mark.parametrize("page_path", PAGES or [pytest.param(None, id="no-build")])
def test_page_renders_cleanly(inspect, site, page_path):
    """Images loaded, math typeset from the site's own MathJax, no error output."""
    found = inspect(page_path)
    problems = []
    broken = [img["src"] for img in found["images"] if not img["loaded"]]
    if broken:
        problems.append(f"images that did not load: {broken}")
    if found["n_math"] and not found["n_mjx"]:
        problems.append(f"{found['n_math']} math elements but MathJax typeset none")
    if found["untypeset"]:
        problems.append(f"math left untypeset: {found['untypeset'][:5]}")
    if found["tex_errors"]:
        problems.append(f"MathJax TeX errors: {found['tex_errors'][:5]}")
    if found["raw_tex"]:
        problems.append(f"raw TeX delimiters in the text: {found['raw_tex'][:5]}")
    if found["n_math"] and not found["mathjax_version"]:
        problems.append("the page has math but MathJax did not load")
    foreign = [src for src in found["mathjax_scripts"] if not src.startswith(f"{site}/")]
    if foreign or (found["n_math"] and not found["mathjax_scripts"]):
        problems.append(f"MathJax not served by the site itself: {found['mathjax_scripts']}")
    if found["offsite"]:
        problems.append(f"requests to other hosts (the book must render offline): {found['offsite'][:5]}")
    if found["failed"]:
        problems.append(f"failed requests: {found['failed'][:5]}")
    if found["has_traceback_text"]:
        problems.append("the page shows a Python traceback")
    if found["error_outputs"]:
        problems.append(f"error outputs: {found['error_outputs'][:5]}")
    js_errors = [error for error in found["js_errors"] if error not in KNOWN_JS_ERRORS]
    if js_errors:
        problems.append(f"uncaught JavaScript errors: {js_errors[:5]}")
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_book_has_math_typeset(inspect):
    """The math checks are not vacuous: the book's pages hold typeset math."""
    counts = {page: inspect(page)["n_mjx"] for page in PAGES}
    assert sum(counts.values()) > 0, f"no typeset math on any page: {counts}"


def test_report_figures_present(inspect):
    """fig-report-1 ... fig-report-5 each appear once, with a loaded image and their caption."""
    where: dict[str, list[tuple[str, dict]]] = {}
    for page in PAGES:
        for figure in inspect(page)["figures"]:
            where.setdefault(figure["id"], []).append((page, figure))
    problems = []
    for number, name in enumerate(REPORT_FIGURES, start=1):
        found = where.get(name, [])
        if not found:
            problems.append(f"{name}: missing from every page")
            continue
        if len(found) > 1:
            problems.append(f"{name}: on several pages {[page for page, _ in found]}")
        page, figure = found[0]
        if not figure["is_figure"]:
            problems.append(f"{name} ({page}): the id is not on a figure")
        elif not figure["images"] or not all(figure["images"]):
            problems.append(f"{name} ({page}): no loaded image in the figure")
        if f"Report Figure {number}" not in figure["caption"]:
            problems.append(f"{name} ({page}): caption does not name Report Figure {number}: "
                            f"{figure['caption']!r}")
    assert not problems, "report figures:\n  " + "\n  ".join(problems)


def test_index_redirects_to_a_book_page(site, browser):
    """The root index.html (what the README says to open) lands on a page of the book."""
    context = browser.new_context()
    try:
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{site}/index.html", wait_until="load")
        page.wait_for_url(lambda url: not url.endswith("/index.html"), timeout=PAGE_TIMEOUT_MS)
        landed = urlsplit(page.url).path.lstrip("/")
    finally:
        context.close()
    assert landed in PAGES, f"index.html redirects to {landed!r}, not a page of the book"
