"""The committed results of the long studies, shipped inside the package.

The sweeps behind the "beyond the report" chapters take minutes to tens of
minutes, so scripts in ``studies/`` run them and write small CSV files. The
files live in the package (``land/data/study_results/``, declared as package
data in ``pyproject.toml``) and are found through :mod:`importlib.resources`,
so a chapter reads them the same way from a clone, from an installed
package, or from a notebook downloaded into an empty folder: there is no
path relative to the working folder to get wrong.
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

__all__ = ["result_names", "result_path", "results_dir"]

_FOLDER = "study_results"
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def _folder():
    return resources.files("land.data").joinpath(_FOLDER)


def result_names() -> list[str]:
    """The file names of the stored study results, sorted.

    Returns
    -------
    list of str
        Names such as ``"beyond.csv"``, each accepted by :func:`result_path`.

    Raises
    ------
    FileNotFoundError
        If the package was installed without its data files.

    Examples
    --------
    >>> from land.data import result_names
    >>> "mixtures.csv" in result_names()
    True
    """
    folder = _folder()
    if not folder.is_dir():
        raise FileNotFoundError(f"land was installed without its study results ({_FOLDER}/)")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".csv"))


def result_path(name: str) -> Path:
    """The path of one stored study result, readable by any CSV reader.

    Parameters
    ----------
    name : str
        A file name from :func:`result_names`, for example ``"beyond.csv"``.

    Returns
    -------
    pathlib.Path
        The file inside the installed package (or, for a zipped install, a
        temporary copy that lasts until the interpreter exits).

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not one of :func:`result_names` (a path with folders
        is refused too: the results are one flat folder).

    Examples
    --------
    >>> from land.data import result_path
    >>> path = result_path("mixtures_moons_mass.csv")
    >>> path.read_text().splitlines()[0]
    'seed,x_low,y_low,x_high,y_high,n_grid,mass,n_lost'
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a file name (str), got {type(name).__name__}")
    names = result_names()
    if name not in names:
        raise ValueError(f"name: expected one of {names}, got {name!r}")
    resource = _folder().joinpath(name)
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(resources.as_file(resource))


def results_dir() -> Path:
    """The folder the ``studies/`` scripts write their CSV files to.

    It is the package's own ``study_results`` folder, so it is only
    writable in a clone (or an editable install): regenerating the results
    changes the files that the chapters, the tests and the package ship.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If the package is not installed as plain files (a zipped install).

    Examples
    --------
    >>> from land.data import results_dir
    >>> (results_dir() / "beyond.csv").is_file()
    True
    """
    folder = _folder()
    if not isinstance(folder, Path):
        raise FileNotFoundError("results_dir: land is not installed as plain files, so its results "
                                "cannot be rewritten in place; use a clone of the repository")
    return folder
