"""Tables of the study behind the estimators' defaults (``studies/defaults.py``)."""

from __future__ import annotations

import csv

import numpy as np

from land.data import result_path

__all__ = ["mixture_defaults_table", "land_defaults_table", "read_defaults"]


def read_defaults(name: str) -> list[dict]:
    """Rows of ``defaults_mixture.csv`` or ``defaults_land.csv`` (values as strings).

    Parameters
    ----------
    name : {"mixture", "land"}
        Which of the two files.

    Returns
    -------
    list of dict
        One dict per row, keyed by the CSV header.

    Raises
    ------
    ValueError
        If ``name`` is neither ``"mixture"`` nor ``"land"``.

    Examples
    --------
    >>> from land.experiments.defaults import read_defaults
    >>> sorted({row["data"] for row in read_defaults("land")})
    ['iris', 'noisy_arc(300)', 'one moon', 'sphere']
    """
    if name not in ("mixture", "land"):
        raise ValueError(f"name: expected 'mixture' or 'land', got {name!r}")
    with open(result_path(f"defaults_{name}.csv"), newline="") as handle:
        return list(csv.DictReader(handle))


def mixture_defaults_table(rows: list[dict]) -> str:
    """Markdown table of the mixture study: one line per setting, over the seeds.

    Parameters
    ----------
    rows : list of dict
        ``read_defaults("mixture")``.

    Returns
    -------
    str
        Columns: setting, mean and smallest ARI of the LAND mixture, the
        Gaussian mixture's mean ARI, EM runs that converged, mean fit time.

    Examples
    --------
    >>> from land.experiments.defaults import mixture_defaults_table, read_defaults
    >>> mixture_defaults_table(read_defaults("mixture")).splitlines()[0]
    '| setting | mean ARI | lowest ARI | Gaussian mixture ARI | converged | mean time (s) |'
    """
    lines = ["| setting | mean ARI | lowest ARI | Gaussian mixture ARI | converged | mean time (s) |",
             "|---|---|---|---|---|---|"]
    for setting in dict.fromkeys(row["setting"] for row in rows):
        group = [row for row in rows if row["setting"] == setting]
        ari = np.array([float(row["land_ari"]) for row in group])
        gmm = np.array([float(row["gmm_ari"]) for row in group])
        seconds = np.array([float(row["seconds"]) for row in group])
        converged = sum(row["converged"] == "True" for row in group)
        lines.append(f"| {setting} | {ari.mean():.2f} | {ari.min():.2f} | {gmm.mean():.2f} | "
                     f"{converged} of {len(group)} | {seconds.mean():.0f} |")
    return "\n".join(lines)


def land_defaults_table(rows: list[dict]) -> str:
    """Markdown table of the single-LAND part of the study.

    Parameters
    ----------
    rows : list of dict
        ``read_defaults("land")``.

    Returns
    -------
    str
        Columns: data, the ``"auto"`` rules used, converged, time, training score.

    Examples
    --------
    >>> from land.experiments.defaults import land_defaults_table, read_defaults
    >>> land_defaults_table(read_defaults("land")).splitlines()[0]
    '| data | auto rules | converged | time (s) | training score |'
    """
    lines = ["| data | auto rules | converged | time (s) | training score |",
             "|---|---|---|---|---|"]
    for row in rows:
        converged = "yes" if row["converged"] == "True" else f"no ({row['stop_reason']})"
        lines.append(f"| {row['data']} | {row['rules']} | {converged} | "
                     f"{float(row['seconds']):.0f} | {float(row['score']):.2f} |")
    return "\n".join(lines)
