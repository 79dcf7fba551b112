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
* the reader-facing defects of issue 11, at a 1280 px window: TeX source
  visible outside typeset math; numpy reprs (``np.float64(``, ``array(``)
  or ``nan ± nan`` in outputs; code, outputs, tables, display equations or
  images wider than their column; images without meaningful alt text;
  raster images below 2x resolution; and (``test_figure_text_is_legible``)
  SVG figures whose smallest text is shown below 9 px. A fixture page with
  one defect of each kind checks that each of these fires;
* the checks of issue 17, at 1280 px and at a 390 px phone window
  (``LAYOUT_JS``, ``_layout_problems``): the page is no wider than the
  window; no word or number in a table cell is broken across lines (a break
  after a hyphen or slash is allowed); no heading is cut at the right edge;
  at most one search box shows; the page downloads at most 3 MB of figure
  images; and in every SVG figure shown no two text boxes overlap, no legend
  and no in-panel text lies on data (scatter markers, sampled points of
  lines). Blocks may scroll sideways inside their own box (long code lines
  keep their indentation that way), but not spill out of it. A fixture page
  with one defect of each kind, and its clean twin, show each check fires;
* the API page names fitted attributes with their trailing underscore;
* every chapter page links its notebook as ``.ipynb``;
* across the book, the five report figures ``fig-report-1`` ...
  ``fig-report-5`` (myst-nb gives a figure named ``fig-report-N`` the element
  id ``fig-report-N``) are present once each, with a loaded image and a
  caption that names the report's Figure N.

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
import re
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
# Uncaught JavaScript errors that are known, harmless and not ours, matched exactly.
# None since issue 17: sphinx-thebe's doubled config script ("Identifier
# 'THEBE_JS_URL' has already been declared") is dropped by book/_ext/land_book.py.
KNOWN_JS_ERRORS: set[str] = set()


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
  // --- reader-facing defects (issue 11) ---
  const inside = (node, sel) => node.parentElement && node.parentElement.closest(sel);
  const texRe = /\$[^$\s]|\\(mathrm|mathbf|frac|sigma|Sigma|mu|rho|alpha|lambda|sqrt|log|exp|left|right|top|cdot|operatorname)\b/;
  const texVisible = [];
  const w2 = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = w2.nextNode(); node; node = w2.nextNode()) {
    if (inside(node, "SCRIPT, STYLE, MJX-CONTAINER, .cell_input, .highlight-python, .highlight-ipython3, .highlight-pycon, .highlight-default, .highlight-bash, CODE, .math")) { continue; }
    if (!node.parentElement || node.parentElement.offsetParent === null) { continue; }
    if (texRe.test(node.data)) { texVisible.push(node.data.trim().slice(0, 120)); }
  }
  const reprs = [];
  for (const el of document.querySelectorAll(".cell_output")) {
    const t = el.textContent || "";
    const m = t.match(/np\.(float|int|bool)\d*\(|\barray\(|\bnan ± nan\b/);
    if (m) { reprs.push(text(el, 120)); }
  }
  const wide = [];
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const column = article.getBoundingClientRect();
  const wideSel = ".cell_input pre, .cell_output pre, div.highlight pre, table, mjx-container[display='true'], figure img, .cell_output img";
  for (const el of document.querySelectorAll(wideSel)) {
    if (el.offsetParent === null) { continue; }
    const r = el.getBoundingClientRect();
    // Too wide is content that spills out of its box, or a box that sticks out of the column.
    // A block that scrolls sideways inside its own box (overflow-x auto: long code lines keep
    // their indentation that way) is fine, and so is one inside such a scrolling container.
    const scrollBox = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
    let inScroller = false;
    for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
      if (scrollBox(a) && a.getBoundingClientRect().right <= column.right + 2) { inScroller = true; break; }
    }
    const scrolls = el.scrollWidth > el.clientWidth + 2 && !scrollBox(el) && !inScroller;
    const sticksOut = !inScroller && (r.right > column.right + 2 || r.left < column.left - 2);
    if (scrolls || sticksOut) {
      wide.push(`${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ")[0] : ""}: ${Math.round(el.scrollWidth)} > ${Math.round(el.clientWidth)} px: ${text(el, 60)}`);
    }
  }
  const badAlt = imgs.filter((img) => {
    const alt = (img.getAttribute("alt") || "").trim();
    return !img.closest(".navbar-brand, .bd-header, .logo") &&
      (alt.length < 12 || /\.(png|svg|jpe?g)$|_images\/|[0-9a-f]{32}|\\[a-z]+\{/i.test(alt));
  }).map((img) => `${img.getAttribute("src")} alt=${JSON.stringify(img.getAttribute("alt"))}`);
  const svgFonts = [];
  for (const img of imgs) {
    const src = img.currentSrc || img.getAttribute("src") || "";
    if (!/\.svg$/i.test(src) || img.offsetParent === null) { continue; }
    const body = await (await fetch(src)).text();
    const doc = new DOMParser().parseFromString(body, "image/svg+xml");
    const svg = doc.documentElement;
    const vb = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
    const userWidth = vb.length === 4 ? vb[2] : parseFloat(svg.getAttribute("width"));
    const scale = img.getBoundingClientRect().width / userWidth;
    let smallest = Infinity;
    for (const m of body.matchAll(/font(?:-size)?:\s*(?:[a-z]+\s+)*([0-9.]+)px/g)) { smallest = Math.min(smallest, parseFloat(m[1])); }
    for (const m of body.matchAll(/font-size="([0-9.]+)"/g)) { smallest = Math.min(smallest, parseFloat(m[1])); }
    svgFonts.push({src: src, smallest_px: smallest * scale, has_text: Number.isFinite(smallest)});
  }
  const lowRes = imgs.filter((img) => /\.png$/i.test(img.getAttribute("src") || "") &&
    img.offsetParent !== null && img.naturalWidth < 1.9 * img.getBoundingClientRect().width &&
    img.getBoundingClientRect().width > 100).map((img) => img.getAttribute("src"));
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
    tex_visible: texVisible,
    reprs: reprs,
    wide: wide,
    bad_alt: badAlt,
    svg_fonts: svgFonts,
    low_res: lowRes,
  };
}
"""


# Runs after INSPECT_PAGE_JS (images loaded, MathJax done): the checks of issue 17, at any width.
LAYOUT_JS = r"""
async () => {
  const vw = window.innerWidth;
  const de = document.documentElement;
  const pageWidth = Math.max(de.scrollWidth, document.body.scrollWidth);
  const visible = (el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const label = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/)[0] : ""}`;
  const snippet = (el) => (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 50);
  // What sticks out past the window: the innermost such elements not inside a scrolling box.
  const scrollsX = (el) => { const s = getComputedStyle(el).overflowX; return s === "auto" || s === "scroll" || s === "hidden"; };
  const overflowing = [];
  if (pageWidth > vw + 1) {
    for (const el of document.body.querySelectorAll("*")) {
      if (!visible(el) || el.closest("mjx-assistive-mml")) { continue; }
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1) { continue; }
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (scrollsX(a)) { clipped = true; break; }
      }
      if (!clipped && !Array.from(el.children).some((c) => c.getBoundingClientRect().right > vw + 1)) {
        overflowing.push(`${label(el)} right=${Math.round(r.right)}: ${snippet(el)}`);
      }
    }
  }
  // Words and numbers broken across lines inside table cells (a break after a hyphen or a slash is allowed).
  const brokenCells = [];
  const lines = (range) => new Set(Array.from(range.getClientRects()).filter((q) => q.width > 0).map((q) => Math.round(q.top))).size;
  for (const cell of document.querySelectorAll("td, th")) {
    if (!visible(cell)) { continue; }
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest("mjx-container, script, style")) { continue; }
      for (const m of node.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        if (lines(range) < 2) { continue; }
        let offset = m.index, whole = true;
        for (const part of m[0].split(/(?<=[-\u2013\/])/)) {
          const sub = document.createRange();
          sub.setStart(node, offset); sub.setEnd(node, offset + part.length);
          if (lines(sub) > 1) { whole = false; }
          offset += part.length;
        }
        if (!whole) { brokenCells.push(m[0].slice(0, 40)); }
      }
    }
  }
  // Headings (and the math in them) cut at the right edge or scrolled inside themselves.
  const clippedHeadings = [];
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const right = Math.min(vw, article.getBoundingClientRect().right);
  for (const h of article.querySelectorAll("h1, h2, h3, h4")) {
    if (!visible(h)) { continue; }
    // Cut: a piece reaches past the column, or a box that hides or scrolls its overflow has some.
    // (A glyph a few px wider than its MathJax box, overflowing visibly, is not cut.)
    const pieces = [h, ...h.querySelectorAll("mjx-container, code, span")];
    const hides = (el) => getComputedStyle(el).overflowX !== "visible";
    const bad = pieces.some((el) => el.getBoundingClientRect().right > right + 1 ||
      hides(el) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1);
    if (bad) { clippedHeadings.push(snippet(h)); }
  }
  const searchBoxes = Array.from(document.querySelectorAll(".search-button-field, form.bd-search, .sidebar-primary-item form[role=search]"))
    .filter((el) => visible(el) && !el.closest(".bd-search-container, dialog, .search-button__wrapper")).map(label);
  // Bytes of figure images the page downloaded (after INSPECT_PAGE_JS loaded all of them).
  const isImage = (e) => !/\/_static\//.test(e.name) && (e.initiatorType === "img" || /\.(svg|png|jpe?g|gif|webp)(\?|$)/i.test(e.name));
  // Each URL once: the checks above fetch() some SVGs again to read them.
  const perUrl = new Map();
  for (const e of performance.getEntriesByType("resource").filter(isImage)) {
    perUrl.set(e.name, Math.max(perUrl.get(e.name) || 0, e.encodedBodySize || e.transferSize || 0));
  }
  const imageBytes = Array.from(perUrl.values()).reduce((a, b) => a + b, 0);
  const imageRequests = Array.from(perUrl.keys()).filter((url) => performance.getEntriesByName(url).some((e) => e.initiatorType !== "fetch"));
  // Figures: text boxes that overlap each other, and legends or titles lying on data, in each shown SVG.
  const figureOverlaps = [];
  const holder = document.createElement("div");
  holder.style.cssText = "position:absolute; left:0; top:0; visibility:hidden; pointer-events:none;";
  document.body.appendChild(holder);
  const shown = Array.from(document.images).filter((img) => visible(img) && /\.svg$/i.test(img.currentSrc || img.src));
  for (const img of shown) {
    const src = img.currentSrc || img.src;
    const doc = new DOMParser().parseFromString(await (await fetch(src)).text(), "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    holder.replaceChildren(svg);
    const boxOf = (el) => el.getBoundingClientRect();
    const overlap = (a, b, pad) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > pad && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > pad;
    // A label with math is one <text> of positioned <tspan>s (one per glyph); its box is theirs,
    // not the <text>'s, which also counts the whitespace between them.
    const textBox = (t) => {
      const spans = Array.from(t.querySelectorAll("tspan")).filter((q) => (q.textContent || "").trim());
      if (!spans.length) { return boxOf(t); }
      const rs = spans.map(boxOf);
      const left = Math.min(...rs.map((r) => r.left)), top = Math.min(...rs.map((r) => r.top));
      const right = Math.max(...rs.map((r) => r.right)), bottom = Math.max(...rs.map((r) => r.bottom));
      return {left, top, right, bottom, width: right - left, height: bottom - top};
    };
    const words = (t) => (t.textContent || "").replace(/\s+/g, "").slice(0, 20);
    const texts = Array.from(svg.querySelectorAll("text")).filter((t) => (t.textContent || "").trim() && textBox(t).width > 0);
    const found = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const gi = texts[i].closest("g[id^='text_'], g[id^='xtick_'], g[id^='ytick_'], g[id^='legend_']");
        const gj = texts[j].closest("g[id^='text_'], g[id^='xtick_'], g[id^='ytick_'], g[id^='legend_']");
        if (gi && gi === gj && !/tick/.test(gi.id)) { continue; }  // pieces of one label (math)
        if (overlap(textBox(texts[i]), textBox(texts[j]), 1.5)) {
          found.push(`text "${words(texts[i])}" over "${words(texts[j])}"`);
        }
      }
    }
    // Data marks: scatter markers and sampled points of data lines, outside legends and axes,
    // and only where their panel shows them (a line clipped at the panel's edge runs on in the SVG).
    const marks = [];
    const panelBox = (el) => {
      const axes = el.closest("g[id^='axes_']");
      const background = axes && axes.querySelector(":scope > g[id^='patch'] path");
      return background ? boxOf(background) : null;
    };
    const shownIn = (box, x, y) => !box || (x >= box.left - 1 && x <= box.right + 1 && y >= box.top - 1 && y <= box.bottom + 1);
    for (const use of svg.querySelectorAll("g[id^='PathCollection'] use")) {
      if (use.closest("g[id^='legend_']")) { continue; }
      const r = boxOf(use), x = r.left + r.width / 2, y = r.top + r.height / 2;
      if (shownIn(panelBox(use), x, y)) { marks.push([x, y]); }
    }
    for (const path of svg.querySelectorAll("g[id^='line2d'] path")) {
      if (path.closest("g[id^='legend_'], g[id^='xtick_'], g[id^='ytick_'], g[id^='matplotlib.axis']")) { continue; }
      const length = path.getTotalLength(), m = path.getScreenCTM(), box = panelBox(path);
      if (!m || !length) { continue; }
      for (let k = 0; k <= 60; k++) {
        const p = path.getPointAtLength(length * k / 60).matrixTransform(m);
        if (shownIn(box, p.x, p.y)) { marks.push([p.x, p.y]); }
      }
    }
    const covers = (r) => marks.filter(([x, y]) => x > r.left + 1 && x < r.right - 1 && y > r.top + 1 && y < r.bottom - 1).length;
    for (const legend of svg.querySelectorAll("g[id^='legend_']")) {
      const frame = legend.querySelector("g[id^='patch'] path") || legend;
      const n = covers(boxOf(frame));
      if (n > 0) { found.push(`legend over ${n} data marks`); }
    }
    for (const t of svg.querySelectorAll("g[id^='axes_'] > g[id^='text_'] text")) {
      const n = covers(textBox(t));
      if (n > 0) { found.push(`text "${words(t)}" over ${n} data marks`); }
    }
    if (found.length) { figureOverlaps.push(`${src.split("/").pop()}: ${found.slice(0, 4).join("; ")}`); }
  }
  holder.remove();
  return {page_width: pageWidth, viewport: vw, overflowing: overflowing.slice(0, 6),
          broken_cells: brokenCells, clipped_headings: clippedHeadings, search_boxes: searchBoxes,
          image_bytes: imageBytes, image_requests: imageRequests, figure_overlaps: figureOverlaps};
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


def _open_page(browser, site: str, page_path: str, width: int = 1280) -> dict:
    """Open one page in a fresh context ``width`` px wide; return what ``INSPECT_PAGE_JS`` found, plus requests."""
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

    context = browser.new_context(viewport={"width": width, "height": 1600})
    try:
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        context.route("**/*", route)
        page = context.new_page()
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        page.goto(f"{site}/{page_path}", wait_until="load")
        result = page.evaluate(INSPECT_PAGE_JS)
        result.update(page.evaluate(LAYOUT_JS))
    finally:
        context.close()
    result.update(offsite=offsite, failed=failed, js_errors=js_errors)
    return result


@pytest.fixture(scope="module")
def inspect(site, browser):
    """``inspect(page)``: open a page once (cached) and return what it showed.

    The result is the dict of ``INSPECT_PAGE_JS`` plus ``offsite`` (requests to
    any other host, aborted), ``failed`` (same-site requests that failed or got
    an HTTP error) and ``js_errors`` (uncaught exceptions in the page).
    """
    cache: dict[tuple[str, int], dict] = {}

    def visit(page_path: str, width: int = 1280) -> dict:
        if (page_path, width) not in cache:
            cache[page_path, width] = _open_page(browser, site, page_path, width=width)
        return cache[page_path, width]

    return visit


MIN_FIGURE_TEXT_PX = 9.0


def _small_figure_text(found: dict) -> list[str]:
    return [f"{f['src']}: {f['smallest_px']:.1f} px" for f in found["svg_fonts"]
            if f["has_text"] and f["smallest_px"] < MIN_FIGURE_TEXT_PX]


def _problems(found: dict, site: str, *, fonts: bool = True) -> list[str]:
    """Everything wrong with one inspected page, as readable lines (empty when clean)."""
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
    if found["tex_visible"]:
        problems.append(f"TeX source visible outside typeset math: {found['tex_visible'][:5]}")
    if found["reprs"]:
        problems.append(f"numpy reprs or 'nan ± nan' in outputs: {found['reprs'][:5]}")
    if found["wide"]:
        problems.append(f"elements wider than their column at {found['viewport']} px: {found['wide'][:5]}")
    if found["bad_alt"]:
        problems.append(f"images without meaningful alt text: {found['bad_alt'][:5]}")
    small = _small_figure_text(found)
    if fonts and small:
        problems.append(f"figure text under {MIN_FIGURE_TEXT_PX:g} px at 1280 px: {small[:5]}")
    if found["low_res"]:
        problems.append(f"raster images below 2x resolution (use SVG): {found['low_res'][:5]}")
    return problems + _layout_problems(found)


MAX_FIGURE_BYTES = 3_000_000


def _layout_problems(found: dict) -> list[str]:
    """The checks of issue 17, at the width the page was opened at."""
    problems = []
    width = found["viewport"]
    if found["page_width"] > width + 1:
        problems.append(f"page wider than the {width} px window ({found['page_width']} px): "
                        f"{found['overflowing'][:3]}")
    if found["broken_cells"]:
        problems.append(f"table cells broken inside a word or number at {width} px: "
                        f"{found['broken_cells'][:8]}")
    if found["clipped_headings"]:
        problems.append(f"headings cut at the right edge at {width} px: {found['clipped_headings'][:3]}")
    if len(found["search_boxes"]) > 1:
        problems.append(f"{len(found['search_boxes'])} search boxes shown at {width} px")
    if found["image_bytes"] > MAX_FIGURE_BYTES:
        problems.append(f"figures weigh {found['image_bytes'] / 1e6:.1f} MB at {width} px "
                        f"(limit {MAX_FIGURE_BYTES / 1e6:g} MB; {len(found['image_requests'])} requests)")
    if found["figure_overlaps"]:
        problems.append(f"figure text overlapping other text or data at {width} px: "
                        f"{found['figure_overlaps'][:4]}")
    return problems


@pytest.mark.parametrize("page_path", PAGES or [pytest.param(None, id="no-build")])
def test_page_renders_cleanly(inspect, site, page_path):
    """Images loaded, math typeset, no error output, and none of the reader-facing defects."""
    problems = _problems(inspect(page_path), site, fonts=False)
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_figure_text_is_legible(inspect):
    """Every figure's smallest text is at least 9 px at 1280 px (SVG text measured in the page)."""
    small = {page: _small_figure_text(inspect(page)) for page in PAGES}
    small = {page: found for page, found in small.items() if found}
    assert not small, f"figure text under {MIN_FIGURE_TEXT_PX:g} px: {small}"


PHONE_WIDTH_PX = 390


def test_figure_text_is_legible_on_a_phone(inspect):
    """At 390 px (a phone) every figure shown, the stacked drawings of wide ones included, keeps 9 px text."""
    small, measured = {}, 0
    for page in PAGES:
        found = inspect(page, PHONE_WIDTH_PX)
        measured += sum(f["has_text"] for f in found["svg_fonts"])
        if _small_figure_text(found):
            small[page] = _small_figure_text(found)
        wide_images = [w for w in found["wide"] if w.startswith("img")]
        if wide_images:
            small.setdefault(page, []).extend(wide_images)
    assert measured > 0, "no figure text measured at 390 px"
    assert not small, f"at {PHONE_WIDTH_PX} px, figure text under {MIN_FIGURE_TEXT_PX:g} px: {small}"


@pytest.mark.parametrize("page_path", PAGES or [pytest.param(None, id="no-build")])
def test_page_holds_on_a_phone(inspect, page_path):
    """At 390 px: no sideways scrolling, no word or number broken in a table cell, no heading cut,
    nothing wider than its column (long code scrolls in its own box), at most 3 MB of figures,
    and no figure text over other text or over data in the stacked drawings."""
    found = inspect(page_path, PHONE_WIDTH_PX)
    problems = _layout_problems(found)
    wide = [w for w in found["wide"] if not w.startswith("img")]  # images: the legibility test
    if wide:
        problems.append(f"elements wider than their column at {PHONE_WIDTH_PX} px: {wide[:5]}")
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_index_page_fits_a_phone(site, browser):
    """The general index (skipped by the page checks) does not scroll sideways at 390 px either."""
    if not (HTML_DIR / "genindex.html").exists():
        pytest.skip("no genindex.html in this build")
    found = _open_page(browser, site, "genindex.html", width=PHONE_WIDTH_PX)
    assert found["page_width"] <= PHONE_WIDTH_PX + 1, (found["page_width"], found["overflowing"])


def test_one_search_box(inspect):
    """A desktop page shows exactly one search box (the theme's header and sidebar both had one)."""
    counts = {page: len(inspect(page)["search_boxes"]) for page in PAGES}
    assert all(n == 1 for n in counts.values()), counts


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
        # One numbering per caption: the book's own ("Fig. 6") leads, and the caption's text
        # begins "The report's Figure N, regenerated".
        caption = figure["caption"].replace("\u2019", "'")  # the book's smart quotes
        if f"The report's Figure {number}, regenerated" not in caption:
            problems.append(f"{name} ({page}): caption does not name the report's Figure {number}: "
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


# A page with one instance of every defect class the checks must catch, and a clean twin.
_FIXTURE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="600pt" height="200pt" '
                'viewBox="0 0 600 200"><text x="10" y="100" style="font: 10px sans-serif">'
                'tick</text></svg>')
_FIXTURE_DEFECTS = """<!doctype html><html><body><article class="bd-article" style="width: 600px">
<p>The kernel width $\\sigma$ and \\mathrm{Exp} left as source.</p>
<div class="cell_output"><pre>mean error np.float64(0.012)</pre></div>
<div class="cell_input"><div class="highlight"><pre>{long_line}</pre></div></div>
<img src="tiny.svg" alt="tiny.svg" style="width: 300px">
<img src="coarse.png" alt="A coarse raster figure of the fixture" style="width: 400px">
</article></body></html>"""
_FIXTURE_CLEAN = """<!doctype html><html><body><article class="bd-article" style="width: 600px">
<p>The kernel width and the exponential map, in words.</p>
<div class="cell_output"><pre>mean error 0.012</pre></div>
<div class="cell_input"><div class="highlight"><pre>short = 1</pre></div></div>
<img src="big.svg" alt="A figure whose labels are large enough to read" style="width: 600px">
</article></body></html>"""


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def test_checks_catch_each_defect_on_a_fixture_page(browser, tmp_path):
    """The page checks are not vacuous: a page with each defect fails each check; its clean twin passes."""
    (tmp_path / "defects.html").write_text(_FIXTURE_DEFECTS.replace("{long_line}", "x = 1  # " + "y" * 300))
    (tmp_path / "clean.html").write_text(_FIXTURE_CLEAN)
    (tmp_path / "tiny.svg").write_text(_FIXTURE_SVG)
    (tmp_path / "big.svg").write_text(_FIXTURE_SVG.replace("font: 10px", "font: 14px"))
    (tmp_path / "coarse.png").write_bytes(_png(40, 20))
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fixture_site = f"http://127.0.0.1:{server.server_address[1]}"
        defects = "\n".join(_problems(_open_page(browser, fixture_site, "defects.html"), fixture_site))
        clean = _problems(_open_page(browser, fixture_site, "clean.html"), fixture_site)
    finally:
        server.shutdown()
        server.server_close()
    for expected in ("TeX source visible", "numpy reprs", "wider than their column",
                     "without meaningful alt text", "figure text under 9 px",
                     "below 2x resolution"):
        assert expected in defects, f"the fixture page's {expected!r} defect went unnoticed:\n{defects}"
    assert clean == [], clean


def test_chapters_offer_their_notebook():
    """Every chapter page links an .ipynb of itself, generated at build time, that Jupyter can read."""
    import json

    if not PAGES:
        _unavailable(f"no built book in {HTML_DIR}: run `make book` first")
    chapters = sorted(p for p in (REPO / "book").glob("*.md")
                      if "kernelspec:" in p.read_text(encoding="utf-8").split("\n---", 1)[0])
    assert len(chapters) >= 10
    for source in chapters:
        page = HTML_DIR / "book" / f"{source.stem}.html"
        notebook = HTML_DIR / "_sources" / "book" / f"{source.stem}.ipynb"
        assert f"_sources/book/{source.stem}.ipynb" in page.read_text(encoding="utf-8"), page
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        assert sum(cell["cell_type"] == "code" for cell in cells) >= 1, notebook
        # Jupyter shows MyST roles raw: the download has them written out as text.
        markdown = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
        raw_roles = re.findall(r"\{(?:cite|ref|numref|mod|func|class)\}`[^`]*`", markdown)
        assert not raw_roles, f"{notebook.name}: MyST roles left raw: {raw_roles[:5]}"


# The checks of issue 17 at 390 px: a page with one defect of each kind, and a clean twin.
_PHONE_DEFECTS = """<!doctype html><html><body style="margin: 0">
<article class="bd-article" style="max-width: 370px">
<h2 style="white-space: nowrap; overflow: hidden">A heading whose words run on beyond the edge of a phone</h2>
<p>See <code class="literal"><span class="pre" style="white-space: nowrap">land.experiments.study.a_name_far_too_long_for_any_phone_screen</span></code>.</p>
<table><tr><td style="overflow-wrap: anywhere; width: 24px">covariance</td>
<td style="overflow-wrap: anywhere; width: 12px">1000</td></tr></table>
<button class="btn search-button-field">Search</button> <button class="btn search-button-field">Search</button>
<img src="heavy.svg" alt="A heavy figure drawn with many vector paths" style="width: 300px">
<img src="overlap.svg" alt="A figure whose legend and title cover its data" style="width: 300px">
</article></body></html>"""
_PHONE_CLEAN = """<!doctype html><html><body style="margin: 0">
<article class="bd-article" style="max-width: 370px">
<h2>A short heading</h2>
<p>See <code class="literal"><span class="pre">land.fit_land</span></code>.</p>
<table><tr><td>covariance</td><td>1000</td></tr></table>
<button class="btn search-button-field">Search</button>
<img src="clean.svg" alt="A figure whose legend sits beside its data" style="width: 300px">
</article></body></html>"""
_OVERLAP_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="200pt" viewBox="0 0 300 200">
<g id="figure_1"><g id="axes_1">
<g id="PathCollection_1"><defs><path id="m1" d="M 0 -2 L 2 0 L 0 2 L -2 0 z"/></defs>
<use href="#m1" x="{mx}" y="50"/><use href="#m1" x="{mx2}" y="60"/></g>
<g id="line2d_1"><path d="M {lx} 120 L {lx2} 120" style="stroke: black"/></g>
<g id="text_1"><text x="{tx}" y="{ty}" style="font: 14px sans-serif">{title}</text></g>
<g id="legend_1"><g id="patch_3"><path d="M 30 40 L 140 40 L 140 130 L 30 130 z" style="fill: white"/></g>
<g id="text_2"><text x="40" y="60" style="font: 12px sans-serif">legend entry</text></g></g>
<g id="text_3"><text x="170" y="20" style="font: 14px sans-serif">first</text></g>
<g id="text_4"><text x="{t4}" y="22" style="font: 14px sans-serif">second</text></g>
</g></g></svg>"""


def test_phone_checks_catch_each_defect_on_a_fixture_page(browser, tmp_path):
    """The issue-17 checks are not vacuous: each fires on a page with its defect; the clean twin passes."""
    (tmp_path / "defects.html").write_text(_PHONE_DEFECTS)
    (tmp_path / "clean.html").write_text(_PHONE_CLEAN)
    (tmp_path / "heavy.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                                        + "<!--" + "x" * 3_100_000 + "--></svg>")
    # Markers and a line inside the legend's frame, a title over the markers, two labels on each other.
    (tmp_path / "overlap.svg").write_text(_OVERLAP_SVG.format(mx=60, mx2=90, lx=20, lx2=200, tx=55, ty=58,
                                                              title="Title", t4=180))
    (tmp_path / "clean.svg").write_text(_OVERLAP_SVG.format(mx=200, mx2=220, lx=160, lx2=290, tx=150, ty=190,
                                                            title="Title", t4=240)
                                        .replace('y="50"', 'y="150"').replace('y="60"', 'y="160"'))
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fixture_site = f"http://127.0.0.1:{server.server_address[1]}"
        bad = _open_page(browser, fixture_site, "defects.html", width=PHONE_WIDTH_PX)
        clean = _open_page(browser, fixture_site, "clean.html", width=PHONE_WIDTH_PX)
    finally:
        server.shutdown()
        server.server_close()
    defects = "\n".join(_layout_problems(bad))
    for expected in ("page wider than the 390 px window", "broken inside a word or number",
                     "headings cut", "2 search boxes", "figures weigh 3.1 MB"):
        assert expected in defects, f"the fixture page's {expected!r} defect went unnoticed:\n{defects}"
    overlaps = " ".join(bad["figure_overlaps"])
    for expected in ('text "first" over "second"', "legend over", 'text "Title" over'):
        assert expected in overlaps, f"{expected!r} went unnoticed: {overlaps}"
    assert {"covariance", "1000"} <= set(bad["broken_cells"]), bad["broken_cells"]
    assert _layout_problems(clean) == [], _layout_problems(clean)


def test_api_page_names_fitted_attributes_as_in_the_code():
    """The API page shows ``mean_``, ``covariance_``, ... with their trailing underscore.

    napoleon writes an Attributes entry as ``:ivar mean_:``, and reST then read
    ``mean_`` as a link named "mean", so the page showed ``mean`` (an
    AttributeError if typed); ``strip_signature_backslash`` in ``_config.yml``
    escapes the underscore.
    """
    import html as html_module

    import land

    page = HTML_DIR / "book" / "api.html"
    if not page.exists():
        _unavailable(f"no API page in {HTML_DIR}: run `make book` first")
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    text = re.sub(r"\s+", " ", text)
    checked = 0
    for estimator in (land.LAND, land.LANDMixture):
        section = estimator.__doc__.split("Attributes\n")[1].split("\n\n    ---")[0]
        names = re.findall(r"^\s{4}([a-z][a-z0-9_]*_)\s*:", section, flags=re.M)
        assert len(names) >= 4, (estimator.__name__, names)
        start = text.find(f"class land. {estimator.__name__} (")
        listed = text.find("Variables :", start)
        assert start >= 0 and listed > start, f"no attribute list for {estimator.__name__} on the API page"
        ends = [text.find(marker, listed + 12) for marker in
                (" Examples", " Parameters :", " Raises :", " Returns :", " fit ( X")]
        block = text[listed:min([end for end in ends if end > 0] + [listed + 12000])]
        for name in names:
            assert f" {name} (" in block, f"{estimator.__name__}.{name} is not on the API page as {name}"
            assert f" {name[:-1]} (" not in block, f"the API page shows {name[:-1]} for {name}"
            checked += 1
    assert checked >= 8
