"""Experiment code of the book, above the core.

The chapters, ``studies/`` and the tests use these modules; the core
(:mod:`land.geometry`, :mod:`land.model`, :mod:`land.data`) never imports
them.

* :mod:`~land.experiments.reference`: independent reference computations
  (quadrature constants, the report's scipy solvers, finite differences).
* :mod:`~land.experiments.compare`: the pushforward/LAND and metric comparisons.
* :mod:`~land.experiments.diagnostics`: fit-error measures.
* :mod:`~land.experiments.study`: the quantitative study of the sphere fit.
* :mod:`~land.experiments.heldout`: held-out comparisons beyond the sphere.
* :mod:`~land.experiments.mixtures`: the mixture experiments.
* :mod:`~land.experiments.defaults`: tables of the study behind the estimators' defaults.
* :mod:`~land.experiments.reader`: the parameters a chapter's reader may change,
  and the guard that skips the checks tied to them.
"""
