"""Starts for Log solves, and the neighbour graph that bounds the distance.

Three initial velocities can start a Newton shot: the *warm* start (the
previous iteration's Log, when a fit moves its mean a little), the *chord*
``x - mu`` (exact for a constant metric) and the *graph* start along the
shortest path through a neighbour graph of the data (geodesics of the LAND
metric stay near the data, so the chord is a poor guess across a curved
data set). The graph also gives an *upper bound* on the distance: its
shortest path is a curve from the base point to the target, so its metric
length bounds the geodesic distance from above. A converged geodesic no
longer than that bound is accepted as the Log without shooting from another
start; one longer than it is certainly not the shortest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from land._validation import check_positive_int
from land.numerics.integrator import StandardMetric

__all__ = ["chord_starts", "graph_starts", "NeighbourGraph", "GraphPaths"]


def chord_starts(base_point, targets) -> np.ndarray:
    """The straight-line starts ``x - mu``.

    Parameters
    ----------
    base_point : ndarray, shape=[D]
    targets : ndarray, shape=[n, D]

    Returns
    -------
    ndarray, shape=[n, D]

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import chord_starts
    >>> chord_starts(np.zeros(2), np.array([[1.0, 2.0]])).tolist()
    [[1.0, 2.0]]
    """
    return np.asarray(targets, dtype=float) - np.asarray(base_point, dtype=float)


def graph_starts(base_point, paths) -> np.ndarray:
    """Initial velocities along graph paths (NaN rows where a path is missing).

    The velocity points at the path's node a third of the way along (past
    the first, noisiest hop) and has the path's Euclidean length.

    Parameters
    ----------
    base_point : ndarray, shape=[D]
    paths : list of (ndarray, shape=[n_nodes, D]) or None

    Returns
    -------
    ndarray, shape=[len(paths), D]

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import graph_starts
    >>> path = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> graph_starts(np.zeros(2), [path, None]).tolist()
    [[3.0, 0.0], [nan, nan]]
    """
    base_point = np.asarray(base_point, dtype=float)
    starts = np.full((len(paths), base_point.size), np.nan)
    for i, path in enumerate(paths):
        if path is None:
            continue
        arc = np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1))
        direction = path[(len(path) - 1) // 3] - base_point
        norm = np.linalg.norm(direction)
        if norm > 0:
            starts[i] = direction / norm * arc
    return starts


def _edge_lengths(metric: StandardMetric, start, end, m_start=None, m_end=None) -> np.ndarray:
    """Metric lengths of the segments ``start[i] -> end[i]`` by Simpson's rule."""
    delta2 = (end - start) ** 2
    m_start = metric.diagonal(start) if m_start is None else m_start
    m_end = metric.diagonal(end) if m_end is None else m_end
    m_mid = metric.diagonal(0.5 * (start + end))
    speed = [np.sqrt(np.sum(m * delta2, axis=1)) for m in (m_start, m_mid, m_end)]
    return (speed[0] + 4.0 * speed[1] + speed[2]) / 6.0


@dataclass
class GraphPaths:
    """Shortest graph paths from one base point to a batch of targets.

    Attributes
    ----------
    bound : ndarray, shape=[n]
        Metric length of each target's shortest graph path (inf without a
        path): an upper bound on the geodesic distance, up to the error of
        Simpson's rule on each edge.

    Examples
    --------
    :meth:`NeighbourGraph.paths_from` returns one.

    >>> import numpy as np
    >>> from land.numerics import NeighbourGraph, StandardMetric
    >>> line = np.linspace(0.0, 4.0, 9)[None, :]             # data along a line, D = 1
    >>> graph = NeighbourGraph(StandardMetric(line, 1e-3, 0, np.zeros(1)), n_neighbours=2)
    >>> paths = graph.paths_from(np.zeros(1), np.array([[4.0]]))
    >>> bool(paths.bound[0] > 0), paths.path(0).shape
    (True, (11, 1))
    """

    bound: np.ndarray
    _nodes: np.ndarray
    _last: np.ndarray
    _pred: np.ndarray
    _base: np.ndarray
    _targets: np.ndarray

    def path(self, i: int, n_nodes: int = 11):
        """The path to target ``i`` resampled at ``n_nodes`` points equally spaced in arc length.

        Parameters
        ----------
        i : int
        n_nodes : int

        Returns
        -------
        ndarray, shape=[n_nodes, D], or None without a path

        Examples
        --------
        See :class:`GraphPaths`.
        """
        if not np.isfinite(self.bound[i]):
            return None
        nodes = [self._targets[i]]
        node = self._last[i]
        n_data = self._nodes.shape[0]
        while 0 <= node < n_data:
            nodes.append(self._nodes[node])
            node = self._pred[node]
        nodes.append(self._base)
        path = np.array(nodes[::-1])
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
        if arc[-1] <= 0:
            return None
        where = np.linspace(0.0, arc[-1], n_nodes)
        return np.stack([np.interp(where, arc, path[:, d]) for d in range(path.shape[1])], axis=1)

    def paths(self, rows) -> list:
        """:meth:`path` of each of ``rows``.

        Parameters
        ----------
        rows : sequence of int

        Returns
        -------
        list of ndarray or None

        Examples
        --------
        See :class:`GraphPaths`.
        """
        return [self.path(int(i)) for i in rows]


class NeighbourGraph:
    """The k-nearest-neighbour graph of the data, with edges weighted by their metric length.

    Built once per metric (edge lengths by Simpson's rule on each segment);
    :meth:`paths_from` joins a base point and targets to it and runs one
    Dijkstra search.

    Parameters
    ----------
    metric : StandardMetric
        A LAND metric (``kind`` 0) with at least two data points.
    n_neighbours : int
        Neighbours per data point (the graph is symmetrised).

    Raises
    ------
    ValueError
        If the metric has fewer than two data points.

    Examples
    --------
    See :class:`GraphPaths`.
    """

    def __init__(self, metric: StandardMetric, n_neighbours: int = 10):
        n_neighbours = check_positive_int(n_neighbours, "n_neighbours")
        nodes = np.ascontiguousarray(metric.data.T)
        if metric.kind != 0 or nodes.shape[0] < 2:
            raise ValueError("metric: a neighbour graph needs a LAND metric with at least 2 data points")
        self.metric = metric
        self.nodes = nodes
        self.k = min(n_neighbours, nodes.shape[0] - 1)
        self.tree = cKDTree(nodes)
        _, idx = self.tree.query(nodes, self.k + 1)
        rows = np.repeat(np.arange(nodes.shape[0]), self.k)
        cols = idx[:, 1:].ravel()
        self.node_metric = metric.diagonal(nodes)
        lengths = _edge_lengths(metric, nodes[rows], nodes[cols], self.node_metric[rows],
                                self.node_metric[cols])
        # A duplicated data point gives a zero-length edge, which csr would drop: keep it tiny.
        lengths = np.maximum(lengths, 1e-300)
        graph = csr_matrix((lengths, (rows, cols)), shape=(nodes.shape[0],) * 2)
        self.graph = graph.maximum(graph.T).tocsr()

    def _attach(self, points, m_points=None):
        """Nearest nodes of each point and the metric lengths of the edges to them.

        A point so far from the data that its distance overflows gets no
        neighbours from the tree (``cKDTree.query`` returns the index ``n``
        with an infinite distance): its edges join node 0 with an infinite
        length, so it is unreachable and its Log falls back to the other starts.
        """
        k = self.k
        n_data = self.nodes.shape[0]
        dist, idx = self.tree.query(points, k)
        idx = np.asarray(idx).reshape(len(points), k)
        missing = (idx >= n_data) | ~np.isfinite(np.asarray(dist).reshape(len(points), k))
        idx = np.where(missing, 0, idx)
        start = np.repeat(points, k, axis=0)
        m_start = None if m_points is None else np.repeat(m_points, k, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            lengths = _edge_lengths(self.metric, start, self.nodes[idx.ravel()], m_start,
                                    self.node_metric[idx.ravel()]).reshape(len(points), k)
        lengths = np.where(missing | ~np.isfinite(lengths), np.inf, lengths)
        return idx, lengths

    def paths_from(self, base_point, targets) -> GraphPaths:
        """Shortest graph paths (and their metric lengths) from ``base_point`` to each target.

        Parameters
        ----------
        base_point : ndarray, shape=[D]
        targets : ndarray, shape=[n, D]

        Returns
        -------
        GraphPaths

        Examples
        --------
        See :class:`GraphPaths`.
        """
        base_point = np.asarray(base_point, dtype=float)
        targets = np.atleast_2d(np.asarray(targets, dtype=float))
        n_data = self.nodes.shape[0]
        base_idx, base_len = self._attach(base_point[None])
        joined = np.isfinite(base_len[0])      # a base point beyond reach joins nothing
        extra = csr_matrix((np.maximum(base_len[0][joined], 1e-300),
                            (np.full(int(joined.sum()), n_data), base_idx[0][joined])),
                           shape=(n_data + 1,) * 2)
        full = csr_matrix((self.graph.data, self.graph.indices, self.graph.indptr),
                          shape=(n_data, n_data))
        full.resize((n_data + 1, n_data + 1))
        full = (full + extra + extra.T).tocsr()
        dist, pred = dijkstra(full, indices=n_data, return_predecessors=True)
        tgt_idx, tgt_len = self._attach(targets)
        total = dist[tgt_idx] + tgt_len
        best = np.argmin(total, axis=1)
        rows = np.arange(len(targets))
        bound = total[rows, best]
        return GraphPaths(bound, self.nodes, tgt_idx[rows, best], pred, base_point, targets)
