"""Responsive figures: a stacked narrow drawing for phones, plain log labels."""

from __future__ import annotations

import base64
import re

import matplotlib
import matplotlib.legend

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from land.plotting import _responsive, plain_log_labels, responsive_html  # noqa: E402


def _drawings(html):
    return [base64.b64decode(m) for m in re.findall(r"base64,([A-Za-z0-9+/=]+)", html)]


def _svg_size_pt(svg: bytes):
    width = re.search(rb'width="([0-9.]+)pt"', svg).group(1)
    height = re.search(rb'height="([0-9.]+)pt"', svg).group(1)
    return float(width), float(height)


def test_three_panels_stack_into_one_column():
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharey=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="line")
        ax.legend()
    copy = _responsive.narrow_copy(fig)
    specs = [ax.get_subplotspec() for ax in copy.axes]
    assert [s.get_gridspec().get_geometry() for s in specs] == [(3, 1)] * 3
    assert [s.rowspan.start for s in specs] == [0, 1, 2]
    assert copy.get_size_inches()[0] == pytest.approx(_responsive.NARROW_WIDTH_IN)
    # The designed figure is left as it was.
    assert [ax.get_subplotspec().get_gridspec().get_geometry() for ax in fig.axes] == [(1, 3)] * 3
    assert fig.get_size_inches()[0] == pytest.approx(10)
    wide, narrow = _drawings(responsive_html(fig))
    (wide_w, wide_h), (narrow_w, narrow_h) = _svg_size_pt(wide), _svg_size_pt(narrow)
    assert narrow_w <= 1.1 * 72 * _responsive.NARROW_WIDTH_IN < wide_w   # tight bbox: labels may overhang
    assert narrow_h > 2 * wide_h        # three panels one above the other
    plt.close("all")


def test_narrow_figure_keeps_its_single_drawing():
    fig, ax = plt.subplots(figsize=(3.5, 3.0))
    ax.plot([0, 1])
    assert responsive_html(fig) is None
    plt.close(fig)


def test_unused_grid_cells_are_dropped_and_colorbars_keep_their_cell():
    fig, axes = plt.subplots(2, 2, figsize=(8, 6))
    axes[1, 1].set_visible(False)
    assert len(_responsive.narrow_copy(fig).axes) == 3
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    fig.colorbar(axes[1].scatter([0], [0], c=[1]), ax=axes[1])
    copy = _responsive.narrow_copy(fig)      # a gridspec colorbar: narrowed, not stacked
    assert copy.get_size_inches()[0] == pytest.approx(_responsive.NARROW_WIDTH_IN)
    assert copy.axes[0].get_subplotspec().get_gridspec().get_geometry() == (1, 2)
    plt.close("all")


def test_log_labels_are_plain_numbers():
    fig, ax = plt.subplots()
    ax.semilogy(np.arange(10), np.logspace(-6, 2, 10))
    plain_log_labels(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "0.001" in labels and "1" in labels and "100" in labels
    assert "1e\N{MINUS SIGN}6" in labels or "1e-6" in labels
    assert not any("$" in label or "^" in label for label in labels)
    with pytest.raises(ValueError, match="which"):
        plain_log_labels(ax, which="z")
    plt.close(fig)


def test_long_labels_wrap_and_figure_legends_move_under_the_panels():
    """A long axis label wraps, and a figure legend ends up under the stacked panels, not on them."""
    fig, axes = plt.subplots(1, 2, figsize=(7, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="panel line")
    axes[1].legend()
    axes[0].set_xlabel("a long axis label that would stick out of a phone-sized drawing")
    fig.legend(["first", "second", "third", "fourth", "fifth"], loc="lower center", ncols=5)
    copy = _responsive.narrow_copy(fig)
    assert "\n" in copy.axes[0].get_xlabel()
    # The stacked copy is laid out by constrained layout, which puts the figure legend
    # outside, under everything the last panel draws (tick labels and axis label included),
    # in at most two columns; the panel's own legend stays with its panel.
    assert len(copy.legends) == 1 and copy.legends[0]._ncols <= 2
    assert copy.axes[1].get_legend() is not None
    copy.canvas.draw()
    renderer = copy.canvas.get_renderer()
    legend_top = copy.legends[0].get_window_extent(renderer).y1
    lowest_panel_text = min(ax.get_tightbbox(renderer).y0 for ax in copy.axes)
    assert legend_top <= lowest_panel_text + 1.0
    wide, narrow = _drawings(responsive_html(fig))
    assert _svg_size_pt(narrow)[0] <= 1.05 * 72 * _responsive.NARROW_WIDTH_IN
    plt.close("all")


def test_legends_sit_above_their_panel_and_refit_in_the_stacked_copy():
    """legend_above: no legend over the data area, in the wide drawing or the stacked one."""
    from land.plotting._layout import legend_above

    fig, axes = plt.subplots(1, 2, figsize=(9, 3), width_ratios=(3, 1))
    for ax in axes:
        for k in range(4):
            ax.plot([0, 1], [k, k + 1], label=f"series number {k}")
        legend_above(ax)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        assert ax.get_legend().get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 0.5
    # More columns over the wide panel than over the narrow one, which takes one.
    assert axes[0].get_legend()._ncols >= 2 and axes[1].get_legend()._ncols == 1
    copy = _responsive.narrow_copy(fig)
    copy.canvas.draw()
    renderer = copy.canvas.get_renderer()
    for ax in copy.axes:
        legend = ax.get_legend()
        assert legend._ncols == 1                    # laid out again for the 3.6 in column
        assert legend.get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 0.5
    plt.close("all")
