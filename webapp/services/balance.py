"""Structural balance of a signed graph: triangles, and the frustration index with its two camps.

Pure functions over plain data (actor ids and a sign per unordered pair), so
they can be tested against brute force without a database. The analysis
service feeds them the filtered network.

The frustration index is the fewest edges whose removal leaves a balanced
graph: equivalently, the fewest edges that disagree with the best split of
the actors into two camps (positive edges inside a camp, negative across).
It is solved exactly as a 0/1 linear programme (Aref & Wilson's formulation,
HiGHS through SciPy) for components of up to ``EXACT_MAX_ACTORS`` actors;
above that, or when the solver runs out of time, a local search gives an
upper bound and a packing of edge-disjoint unbalanced triangles a lower one.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

Pair = frozenset[str]

EXACT_MAX_ACTORS = 60
SOLVER_TIME_LIMIT_S = 5.0


def pair(a: str, b: str) -> Pair:
    return frozenset((a, b))


def triangles(signs: Mapping[Pair, int]) -> list[tuple[str, str, str]]:
    """Every triangle of the graph, each once, its actors in sorted order."""
    neighbours: dict[str, set[str]] = {}
    for key in signs:
        a, b = sorted(key)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    found = []
    for a in sorted(neighbours):
        for b in sorted(n for n in neighbours[a] if n > a):
            for c in sorted(n for n in neighbours[a] & neighbours[b] if n > b):
                found.append((a, b, c))
    return found


def is_balanced(s1: int, s2: int, s3: int) -> bool:
    """Heider: balanced when the product of the signs is positive."""
    return s1 * s2 * s3 > 0


def is_weakly_balanced(s1: int, s2: int, s3: int) -> bool:
    """Davis: only "two friends who are enemies" (exactly one negative side) is unbalanced."""
    return [s1, s2, s3].count(-1) != 1


@dataclass(frozen=True)
class Frustration:
    """The frustration index (exact, or bounded) and a two-camp split that achieves ``value``."""

    value: int
    lower_bound: int
    exact: bool
    partition: dict[str, int]
    frustrated: list[Pair]

    @property
    def method(self) -> str:
        return "exact" if self.exact else "heuristic"


def frustrated_edges(signs: Mapping[Pair, int], side: Mapping[str, int]) -> list[Pair]:
    """The edges a split leaves unbalanced: positive across the camps, or negative inside one."""
    found = []
    for key, sign in signs.items():
        a, b = sorted(key)
        same = side[a] == side[b]
        if (sign > 0) != same:
            found.append(key)
    return found


def frustration(actors: Iterable[str], signs: Mapping[Pair, int], *, blocs: Mapping[str, str | None] | None = None,
                exact_max: int = EXACT_MAX_ACTORS, time_limit: float = SOLVER_TIME_LIMIT_S) -> Frustration:
    """The frustration index of the signed graph, component by component (it is additive).

    Several splits are often equally good; the exact solver then prefers the one
    that separates the fewest pairs of actors of one curated bloc (``blocs``:
    actor → bloc), so the camps are comparable with the blocs. It never costs an edge.
    """
    blocs = blocs or {}
    graph = nx.Graph()
    graph.add_nodes_from(actors)
    graph.add_edges_from(tuple(key) for key in signs)
    partition: dict[str, int] = {}
    value = lower = 0
    exact = True
    for component in sorted(nx.connected_components(graph), key=lambda c: sorted(c)[0]):
        nodes = sorted(component)
        local = {k: s for k, s in signs.items() if next(iter(k)) in component}
        solved = None
        if len(nodes) <= exact_max:
            together = [pair(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]
                        if blocs.get(a) and blocs.get(a) == blocs.get(b)]
            solved = _solve_exact(nodes, local, together, time_limit)
        if solved is None:
            side = _local_search(nodes, local)
            count = len(frustrated_edges(local, side))
            value += count
            lower += _triangle_packing_bound(local)
            exact = False
        else:
            side = solved
            count = len(frustrated_edges(local, side))
            value += count
            lower += count
        partition.update(_canonical(nodes, side))
    return Frustration(value=value, lower_bound=lower, exact=exact, partition=partition,
                       frustrated=sorted(frustrated_edges(signs, partition), key=sorted))


def _canonical(nodes: list[str], side: Mapping[str, int]) -> dict[str, int]:
    """Name the camps so the first actor (in sorted order) is always in camp 0: same graph, same answer."""
    flip = side[nodes[0]]
    return {node: side[node] ^ flip for node in nodes}


def _solve_exact(nodes: list[str], signs: Mapping[Pair, int], together: list[Pair],
                 time_limit: float) -> dict[str, int] | None:
    """Minimise frustrated edges as a binary programme; None when the solver cannot prove the optimum."""
    if len(nodes) == 1 or not signs:
        return {node: 0 for node in nodes}
    index = {node: i for i, node in enumerate(nodes)}
    edges = [tuple(sorted(key)) for key in signs]
    n, m, t = len(nodes), len(edges), len(together)
    # Variables: x_i (camp of actor i), f_e (edge e frustrated), d_p (pair p split).
    # Two rows per edge and per pair; a split pair costs less than one edge in total.
    matrix = lil_matrix((2 * (m + t), n + m + t))
    low = np.empty(2 * (m + t))
    for e, (a, b) in enumerate(edges):
        i, j, row = index[a], index[b], 2 * e
        matrix[row, n + e] = matrix[row + 1, n + e] = 1
        if signs[frozenset((a, b))] > 0:   # f >= x_i - x_j and f >= x_j - x_i
            matrix[row, i], matrix[row, j], low[row] = -1, 1, 0
            matrix[row + 1, i], matrix[row + 1, j], low[row + 1] = 1, -1, 0
        else:                                # f >= x_i + x_j - 1 and f >= 1 - x_i - x_j
            matrix[row, i], matrix[row, j], low[row] = -1, -1, -1
            matrix[row + 1, i], matrix[row + 1, j], low[row + 1] = 1, 1, 1
    for p, key in enumerate(together):
        a, b = sorted(key)
        i, j, row, column = index[a], index[b], 2 * (m + p), n + m + p
        matrix[row, column] = matrix[row + 1, column] = 1
        matrix[row, i], matrix[row, j], low[row] = -1, 1, 0
        matrix[row + 1, i], matrix[row + 1, j], low[row + 1] = 1, -1, 0
    cost = np.concatenate([np.zeros(n), np.ones(m), np.full(t, 1 / (t + 1))])
    lower_bounds = np.zeros(n + m + t)
    upper_bounds = np.ones(n + m + t)
    upper_bounds[0] = 0  # the first actor's camp is fixed: the two mirror-image answers are the same
    result = milp(
        cost, integrality=np.ones(n + m + t),
        bounds=Bounds(lower_bounds, upper_bounds),
        constraints=LinearConstraint(matrix.tocsr(), low, np.full(2 * (m + t), np.inf)),
        options={"time_limit": time_limit, "disp": False},
    )
    if result.status != 0 or result.x is None:
        return None
    return {node: int(round(result.x[index[node]])) for node in nodes}


def _local_search(nodes: list[str], signs: Mapping[Pair, int], seed: int = 2015) -> dict[str, int]:
    """Best of several greedy descents (move one actor to the other camp while that helps)."""
    restarts = max(3, min(20, 4000 // len(nodes)))  # fewer restarts on large graphs: each is a full descent
    neighbours: dict[str, list[tuple[str, int]]] = {node: [] for node in nodes}
    for key, sign in signs.items():
        a, b = tuple(key)
        neighbours[a].append((b, sign))
        neighbours[b].append((a, sign))

    def gain(side: dict[str, int], node: str) -> int:
        # Frustrated edges at ``node`` now, minus after moving it.
        now = sum(1 for other, s in neighbours[node] if (s > 0) != (side[node] == side[other]))
        return now - (len(neighbours[node]) - now)

    generator = random.Random(seed)
    best: dict[str, int] | None = None
    best_count = len(signs) + 1
    for attempt in range(restarts):
        side = _two_colouring(nodes, neighbours) if attempt == 0 else {n: generator.randint(0, 1) for n in nodes}
        improved = True
        while improved:
            improved = False
            for node in nodes:
                if gain(side, node) > 0:
                    side[node] ^= 1
                    improved = True
        count = len(frustrated_edges(signs, side))
        if count < best_count:
            best, best_count = dict(side), count
    assert best is not None
    return best


def _two_colouring(nodes: list[str], neighbours: Mapping[str, list[tuple[str, int]]]) -> dict[str, int]:
    """A spanning-tree start: follow the signs outwards from the best-connected actor."""
    side: dict[str, int] = {}
    for root in sorted(nodes, key=lambda n: (-len(neighbours[n]), n)):
        if root in side:
            continue
        side[root] = 0
        stack = [root]
        while stack:
            node = stack.pop()
            for other, sign in neighbours[node]:
                if other not in side:
                    side[other] = side[node] if sign > 0 else 1 - side[node]
                    stack.append(other)
    return side


def _triangle_packing_bound(signs: Mapping[Pair, int]) -> int:
    """Edge-disjoint unbalanced triangles (greedy): each needs one removed edge of its own."""
    used: set[Pair] = set()
    count = 0
    for a, b, c in triangles(signs):
        sides = (pair(a, b), pair(b, c), pair(a, c))
        if any(s in used for s in sides) or is_balanced(*(signs[s] for s in sides)):
            continue
        used.update(sides)
        count += 1
    return count


def brute_force_frustration(actors: list[str], signs: Mapping[Pair, int]) -> int:
    """Try every split (for tests and tiny graphs only: 2^(n-1) splits)."""
    if not actors:
        return 0
    best = len(signs)
    for bits in itertools.product((0, 1), repeat=len(actors) - 1):
        side = dict(zip(actors, (0, *bits), strict=True))
        best = min(best, len(frustrated_edges(signs, side)))
    return best
