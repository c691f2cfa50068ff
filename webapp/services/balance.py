"""Structural balance of a signed graph: triangles, and the frustration index with its two camps.

Pure functions over plain data (actor ids and a sign per unordered pair), so
they can be tested against brute force without a database. The analysis
service feeds them the filtered network.

The frustration index is the fewest edges whose removal leaves a balanced
graph: equivalently, the fewest edges that disagree with the best split of
the actors into two camps (positive edges inside a camp, negative across).
It is additive over connected components, and each component is solved so:

1. a local search gives a split, hence an upper bound;
2. a linear relaxation gives a lower bound: every cycle with an odd number of
   hostile sides needs one of its edges out of place, and such odd-cycle
   inequalities (Barahona & Mahjoub's cut polytope) are added round by round,
   found as shortest paths in the graph's double cover. On networks near
   balance the bound meets the split and the answer is proven at once;
3. otherwise a 0/1 programme — Aref & Wilson's: a camp per actor, one
   frustration variable per edge with the two rows that are tight for its
   sign, the best-connected actor's camp fixed — with the same inequalities
   is solved by HiGHS (SciPy's ``milp``): its optimum, or its best split and
   its dual bound.

Components of up to ``EXACT_MAX_ACTORS`` actors and ``EXACT_MAX_RELATIONS``
edges get the full ``EXACT_EFFORT``; larger ones ``BOUNDED_EFFORT``. Effort is
counted in rounds and branch-and-bound nodes, never in seconds, so the same
data gives the same answer in every process; the time limit is only a safety
net for pathological inputs (when it hits, the answer is still a true bound).
Every ordering here is explicit (sorted ids, index order): nothing follows
Python's per-process string hashing.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra

Pair = frozenset[str]

EXACT_MAX_ACTORS = 250
EXACT_MAX_RELATIONS = 1500


@dataclass(frozen=True)
class Effort:
    """How hard to try on one component: deterministic budgets, and a wall-clock safety net."""

    cut_rounds: int        # separation rounds of the linear relaxation
    cuts_per_round: int    # odd-cycle inequalities added per round at most
    sources: int           # shortest-path sources per separation round at most
    node_limit: int        # branch-and-bound nodes per 0/1 programme (0: no programme)
    time_limit: float      # seconds per solver call, a safety net only


EXACT_EFFORT = Effort(cut_rounds=40, cuts_per_round=400, sources=400, node_limit=300, time_limit=10.0)
BOUNDED_EFFORT = Effort(cut_rounds=1, cuts_per_round=2000, sources=50, node_limit=0, time_limit=3.0)
LOCAL_SEARCH_SEED = 2015
STALL_ROUNDS, STALL_GAIN = 4, 0.5      # stop separating once 4 rounds raised the relaxation by less than this
PROGRAMME_GAP, PROGRAMME_GAP_SHARE = 3, 0.02  # branch only when the gap is this small: wider ones do not close


def pair(a: str, b: str) -> Pair:
    return frozenset((a, b))


def triangles(signs: Iterable[Iterable[str]]) -> list[tuple[str, str, str]]:
    """Every triangle of the graph (its pairs: a mapping's keys will do), each once, its actors in sorted order."""
    # Each actor's neighbours after it in sorted order: a triangle a < b < c is c among both a's and b's.
    later: dict[str, set[str]] = {}
    for key in signs:
        a, b = key
        if b < a:
            a, b = b, a
        later.setdefault(a, set()).add(b)
        later.setdefault(b, set())
    found: list[tuple[str, str, str]] = []
    for a in sorted(later):
        after_a = later[a]
        for b in sorted(after_a):
            common = after_a & later[b]
            if common:
                found.extend((a, b, c) for c in sorted(common))
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
    components: int = 0
    exact_components: int = 0

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
                exact_max: int = EXACT_MAX_ACTORS, exact_max_relations: int = EXACT_MAX_RELATIONS,
                effort: Effort | None = None) -> Frustration:
    """The frustration index of the signed graph, component by component (it is additive).

    Several splits are often equally good; once a component's index is proven,
    the split chosen is one that puts the fewest actors apart from the camp of
    most of their curated bloc (``blocs``: actor → bloc), so the camps are
    comparable with the blocs. It never costs an edge. ``effort`` overrides the
    budget of every component (tests use it to force the bounded path).
    """
    blocs = blocs or {}
    names = sorted(set(actors) | {n for key in signs for n in key})
    index = {name: i for i, name in enumerate(names)}
    edges = sorted((index[a], index[b], sign) for key, sign in signs.items() if len(key) == 2
                   for a, b in [sorted(key)])
    partition: dict[str, int] = {}
    value = lower = proven = 0
    components = _components(len(names), edges)
    for nodes, local_edges in components:
        large = len(nodes) > exact_max or len(local_edges) > exact_max_relations
        budget = effort or (BOUNDED_EFFORT if large else EXACT_EFFORT)
        local = {node: k for k, node in enumerate(nodes)}
        ends = [(local[i], local[j]) for i, j, _ in local_edges]
        negative = np.array([sign < 0 for _, _, sign in local_edges], dtype=bool)
        groups: dict[str, list[int]] = {}
        for k, node in enumerate(nodes):
            bloc = blocs.get(names[node])
            if bloc:
                groups.setdefault(bloc, []).append(k)
        solved = _solve_component(len(nodes), ends, negative, [g for _, g in sorted(groups.items()) if len(g) > 1],
                                  budget)
        value += solved.value
        lower += solved.lower
        proven += solved.value == solved.lower
        flip = solved.side[0]  # camp 0 holds the component's first actor: same graph, same answer
        partition.update({names[node]: solved.side[k] ^ flip for k, node in enumerate(nodes)})
    return Frustration(value=value, lower_bound=lower, exact=value == lower, partition=partition,
                       frustrated=sorted(frustrated_edges(signs, partition), key=sorted),
                       components=len(components), exact_components=proven)


def _components(count: int, edges: Sequence[tuple[int, int, int]]
                ) -> list[tuple[list[int], list[tuple[int, int, int]]]]:
    """Connected components in index order: their sorted nodes and edges."""
    root = list(range(count))

    def find(node: int) -> int:
        while root[node] != node:
            root[node] = root[root[node]]
            node = root[node]
        return node

    for i, j, _ in edges:
        a, b = find(i), find(j)
        if a != b:
            root[max(a, b)] = min(a, b)
    nodes: dict[int, list[int]] = {}
    for node in range(count):
        nodes.setdefault(find(node), []).append(node)
    local_edges: dict[int, list[tuple[int, int, int]]] = {}
    for edge in edges:
        local_edges.setdefault(find(edge[0]), []).append(edge)
    return [(nodes[r], local_edges.get(r, [])) for r in sorted(nodes)]


@dataclass(frozen=True)
class _Solved:
    side: list[int]
    value: int
    lower: int


def _count(side: Sequence[int], ends: Sequence[tuple[int, int]], negative: np.ndarray) -> int:
    """The edges the split leaves out of place."""
    if not len(ends):
        return 0
    camp, pairs = np.asarray(side), np.asarray(ends)
    return int(np.count_nonzero((camp[pairs[:, 0]] == camp[pairs[:, 1]]) == negative))


def _solve_component(n: int, ends: list[tuple[int, int]], negative: np.ndarray, groups: list[list[int]],
                     effort: Effort) -> _Solved:
    """Bound one connected component from both sides until they meet or the effort is spent."""
    if not ends:
        return _Solved([0] * n, 0, 0)
    side = _local_search(n, ends, negative)
    best = _count(side, ends, negative)
    cuts = _Cuts(len(ends))
    cuts.add_unbalanced_triangles(n, ends, negative)
    lower, history, flow = 0, [], np.zeros(len(ends))
    for round_ in range(effort.cut_rounds + 1):
        if cuts.rows:
            relaxed = linprog(np.ones(len(ends)), A_ub=-cuts.matrix(), b_ub=-cuts.rhs(), bounds=(0, 1),
                              method="highs-ipm", options={"time_limit": effort.time_limit})
            if relaxed.status != 0:
                break
            flow = relaxed.x
            history.append(relaxed.fun)
            lower = max(lower, _integer_bound(relaxed.fun, len(ends)))
            candidate = _rounded(n, ends, negative, flow)
            count = _count(candidate, ends, negative)
            if count < best:
                side, best = candidate, count
        # Stop when the bounds meet, the effort is spent, or the relaxation has stopped moving.
        stalled = len(history) > STALL_ROUNDS and history[-1] - history[-1 - STALL_ROUNDS] < STALL_GAIN
        if lower >= best or round_ == effort.cut_rounds or stalled:
            break
        if not cuts.separate(n, ends, negative, flow, effort):
            break
    if lower < best and effort.node_limit and best - lower <= max(PROGRAMME_GAP, PROGRAMME_GAP_SHARE * best):
        cuts.keep_tight(flow)
        result = _programme(n, ends, negative, cuts, effort)
        if result.x is not None:
            candidate = [int(round(v)) for v in result.x[:n]]
            count = _count(candidate, ends, negative)
            if count < best:
                side, best = candidate, count
        bound = result.get("mip_dual_bound")
        if bound is not None and np.isfinite(bound):
            lower = max(lower, _integer_bound(bound, len(ends)))
        elif result.status == 0:
            lower = best
    lower = min(lower, best)
    if lower == best and groups and effort.node_limit:
        side = _keep_blocs_together(n, ends, negative, cuts, groups, best, side, effort)
    return _Solved(side, best, lower)


def _integer_bound(relaxed: float, edges: int) -> int:
    """The smallest whole number of edges a relaxation's value allows, with room for solver tolerance."""
    return max(0, math.ceil(relaxed - 1e-6 * (edges + 1)))


class _Cuts:
    """Odd-cycle inequalities over the edge variables f: sum(f outside S) - sum(f in S) >= 1 - |S|."""

    def __init__(self, edges: int) -> None:
        self.edges = edges
        self.rows: list[tuple[tuple[int, ...], tuple[bool, ...]]] = []
        self.seen: set[tuple[tuple[int, bool], ...]] = set()

    def add(self, cycle: Sequence[int], in_s: Sequence[bool]) -> bool:
        key = tuple(sorted(zip(cycle, in_s, strict=True)))
        if key in self.seen:
            return False
        self.seen.add(key)
        self.rows.append((tuple(cycle), tuple(in_s)))
        return True

    def add_unbalanced_triangles(self, n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray) -> None:
        """Every triangle with an odd number of hostile sides needs one of them out of place."""
        edge_of = {pair_: e for e, pair_ in enumerate(ends)}
        hostile = negative.tolist()
        later: list[set[int]] = [set() for _ in range(n)]  # neighbours with a higher index
        for i, j in ends:
            if i < j:
                later[i].add(j)
            elif j < i:
                later[j].add(i)
        for i in range(n):
            for j in sorted(later[i]):
                common = later[i] & later[j]
                for k in sorted(common):
                    triple = (edge_of[i, j], edge_of[j, k], edge_of[i, k])
                    if (hostile[triple[0]] + hostile[triple[1]] + hostile[triple[2]]) % 2:
                        self.add(triple, (False, False, False))

    def keep_tight(self, flow: np.ndarray) -> None:
        """Drop the inequalities the relaxation's solution satisfies with room: they only slow the programme."""
        if not self.rows:
            return
        slack = self.matrix() @ flow - self.rhs()
        self.rows = [row for row, room in zip(self.rows, slack.tolist(), strict=True) if room < 1e-6]

    def matrix(self, columns: int | None = None, offset: int = 0) -> csr_matrix:
        lengths = [len(cycle) for cycle, _ in self.rows]
        total = sum(lengths)
        rows = np.repeat(np.arange(len(self.rows)), lengths)
        cols = offset + np.fromiter(itertools.chain.from_iterable(c for c, _ in self.rows), dtype=np.int64,
                                    count=total)
        in_s = np.fromiter(itertools.chain.from_iterable(s for _, s in self.rows), dtype=bool, count=total)
        shape = (len(self.rows), columns if columns is not None else self.edges)
        return coo_matrix((np.where(in_s, -1.0, 1.0), (rows, cols)), shape=shape).tocsr()

    def rhs(self) -> np.ndarray:
        return np.array([1.0 - sum(in_s) for _, in_s in self.rows])

    def separate(self, n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray, flow: np.ndarray,
                 effort: Effort) -> int:
        """Add the odd-cycle inequalities the relaxed solution ``flow`` violates most; how many were new.

        In the double cover (node v at parity 0 and 1) each edge can be crossed
        "outside S" at cost f, flipping parity if it is hostile, or "in S" at
        cost 1 - f, flipping parity if it is not: a path from (v, 0) to (v, 1)
        cheaper than 1 is a violated inequality.
        """
        a = np.array([i for i, _ in ends])
        b = np.array([j for _, j in ends])
        neg = negative.astype(int)
        outside = np.clip(flow, 0, 1) + 1e-9
        inside = np.clip(1 - flow, 0, 1) + 1e-9
        rows, cols, weights = [], [], []
        for parity in (0, 1):
            for cost, flips in ((outside, neg), (inside, 1 - neg)):
                rows += [a + n * parity, b + n * parity]
                cols += [b + n * (parity ^ flips), a + n * (parity ^ flips)]
                weights += [cost, cost]
        graph = csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(2 * n, 2 * n))
        sources = self._sources(n, ends, flow, effort.sources)
        dist, previous = dijkstra(graph, directed=True, indices=sources, return_predecessors=True)
        edge_of: dict[tuple[int, int], int] = {}
        for e, (i, j) in enumerate(ends):
            edge_of[i, j] = edge_of[j, i] = e
        reach = dist[np.arange(len(sources)), sources + n]
        added = 0
        for row in np.argsort(reach, kind="stable"):
            if not reach[row] < 1 - 1e-6 or added >= effort.cuts_per_round:
                break
            start, node, cycle, in_s = int(sources[row]), int(sources[row]) + n, [], []
            while node != start:
                before = int(previous[row, node])
                e = edge_of[before % n, node % n]
                cycle.append(e)
                in_s.append(((before >= n) != (node >= n)) != bool(negative[e]))
                node = before
            if len(set(cycle)) == len(cycle) and self.add(cycle, in_s):
                added += 1
        return added

    @staticmethod
    def _sources(n: int, ends: Sequence[tuple[int, int]], flow: np.ndarray, limit: int) -> np.ndarray:
        """Actors at fractional edges first (where the relaxation is loose), most such edges first."""
        if n <= limit:
            return np.arange(n)
        loose = np.zeros(n)
        for (i, j), f in zip(ends, flow, strict=True):
            if 1e-6 < f < 1 - 1e-6:
                loose[i] += 1
                loose[j] += 1
        return np.lexsort((np.arange(n), -loose))[:limit]


def _linking(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray, columns: int
             ) -> tuple[csr_matrix, np.ndarray]:
    """Aref & Wilson's rows, f_e >= |x_i - x_j| (cooperative) or |x_i + x_j - 1| (hostile): two per edge."""
    rows, cols, vals, low = [], [], [], []
    for e, (i, j) in enumerate(ends):
        r = 2 * e
        if negative[e]:
            rows += [r, r, r, r + 1, r + 1, r + 1]
            cols += [n + e, i, j, n + e, i, j]
            vals += [1, -1, -1, 1, 1, 1]
            low += [-1, 1]
        else:
            rows += [r, r, r, r + 1, r + 1, r + 1]
            cols += [n + e, i, j, n + e, i, j]
            vals += [1, -1, 1, 1, 1, -1]
            low += [0, 0]
    matrix = coo_matrix((vals, (rows, cols)), shape=(2 * len(ends), columns)).tocsr()
    return matrix, np.array(low, dtype=float)


def _programme(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray, cuts: _Cuts, effort: Effort,
               extra: Sequence[LinearConstraint] = (), cost: np.ndarray | None = None, columns: int | None = None,
               integral: np.ndarray | None = None) -> OptimizeResult:
    """The 0/1 programme: camps x binary, frustration f continuous (integral once x is), the cuts."""
    m = len(ends)
    columns = columns or n + m
    linking, low = _linking(n, ends, negative, columns)
    constraints = [LinearConstraint(linking, low, np.inf), *extra]
    if cuts.rows:
        constraints.append(LinearConstraint(cuts.matrix(columns, offset=n), cuts.rhs(), np.inf))
    upper = np.ones(columns)
    degree = np.bincount(np.array(ends).ravel(), minlength=n)
    upper[int(np.argmax(degree))] = 0  # one camp fixed: the mirror image of a split is the same split
    if integral is None:
        integral = np.concatenate([np.ones(n), np.zeros(columns - n)])
    if cost is None:
        cost = np.concatenate([np.zeros(n), np.ones(m)])
    return milp(cost, integrality=integral, bounds=Bounds(np.zeros(columns), upper), constraints=constraints,
                options={"time_limit": effort.time_limit, "node_limit": effort.node_limit, "disp": False})


def _keep_blocs_together(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray, cuts: _Cuts,
                         groups: list[list[int]], value: int, side: list[int], effort: Effort) -> list[int]:
    """Among the optimal splits, one with the fewest actors outside their bloc's camp (``side`` if none is found)."""
    m = len(ends)
    members = [k for group in groups for k in group]
    # Columns: x (n), f (m), z (a camp per bloc), d (an actor apart from its bloc's camp).
    z0, d0 = n + m, n + m + len(groups)
    columns = d0 + len(members)
    rows, cols, vals, low = [], [], [], []
    member = 0
    for g, group in enumerate(groups):
        for k in group:
            r = 2 * member
            rows += [r, r, r, r + 1, r + 1, r + 1]
            cols += [d0 + member, k, z0 + g, d0 + member, k, z0 + g]
            vals += [1, -1, 1, 1, 1, -1]
            low += [0, 0]
            member += 1
    apart = LinearConstraint(coo_matrix((vals, (rows, cols)), shape=(2 * len(members), columns)).tocsr(), low, np.inf)
    within = np.zeros(columns)
    within[n:n + m] = 1
    optimal = LinearConstraint(within.reshape(1, -1), -np.inf, value)
    cost = np.zeros(columns)
    cost[d0:] = 1
    integral = np.zeros(columns)
    integral[:n] = 1
    integral[z0:d0] = 1
    result = _programme(n, ends, negative, cuts, effort, extra=[apart, optimal], cost=cost, columns=columns,
                        integral=integral)
    if result.x is None:
        return side
    candidate = [int(round(v)) for v in result.x[:n]]
    return candidate if _count(candidate, ends, negative) == value else side


def _neighbours(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray) -> list[list[tuple[int, bool]]]:
    neighbours: list[list[tuple[int, bool]]] = [[] for _ in range(n)]
    for (i, j), neg in zip(ends, negative.tolist(), strict=True):
        neighbours[i].append((j, neg))
        neighbours[j].append((i, neg))
    return neighbours


def _descend(side: list[int], neighbours: Sequence[Sequence[tuple[int, bool]]]) -> int:
    """Move one actor at a time to the other camp while that helps (in index order); edges left out of place."""
    # bad[v]: edges at v that the split leaves out of place; moving v turns bad into good and back.
    bad = [sum(1 for other, neg in neighbours[v] if (side[v] == side[other]) == neg) for v in range(len(side))]
    improved = True
    while improved:
        improved = False
        for v in range(len(side)):
            if 2 * bad[v] > len(neighbours[v]):
                side[v] ^= 1
                bad[v] = len(neighbours[v]) - bad[v]
                for other, neg in neighbours[v]:
                    bad[other] += 1 if (side[v] == side[other]) == neg else -1
                improved = True
    return sum(bad) // 2


def _local_search(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray,
                  seed: int = LOCAL_SEARCH_SEED) -> list[int]:
    """Best of several descents: from a spanning-tree split, then from seeded random ones."""
    restarts = max(3, min(20, 4000 // n))  # fewer restarts on large graphs: each is a full descent
    neighbours = _neighbours(n, ends, negative)
    generator = random.Random(seed)
    best: list[int] = []
    best_count = len(ends) + 1
    for attempt in range(restarts):
        side = _two_colouring(n, neighbours) if attempt == 0 else [generator.randint(0, 1) for _ in range(n)]
        count = _descend(side, neighbours)
        if count < best_count:
            best, best_count = side, count
    return best


def _rounded(n: int, ends: Sequence[tuple[int, int]], negative: np.ndarray, flow: np.ndarray) -> list[int]:
    """A split read off the relaxation: a spanning tree of the edges it least expects out of place, then a descent."""
    root = list(range(n))
    size = [1] * n
    parity = [0] * n  # camp of a node relative to its parent's

    def find(v: int) -> tuple[int, int]:
        flip = 0
        while root[v] != v:
            flip ^= parity[v]
            v = root[v]
        return v, flip

    for e in np.lexsort((np.arange(len(ends)), flow)).tolist():
        (i, j), neg = ends[e], int(negative[e])
        (ri, pi), (rj, pj) = find(i), find(j)
        if ri != rj:
            big, small = (ri, rj) if (-size[ri], ri) < (-size[rj], rj) else (rj, ri)
            root[small] = big
            size[big] += size[small]
            parity[small] = pi ^ pj ^ neg
    side = [find(v)[1] for v in range(n)]
    _descend(side, _neighbours(n, ends, negative))
    return side


def _two_colouring(n: int, neighbours: Sequence[Sequence[tuple[int, bool]]]) -> list[int]:
    """A spanning-tree start: follow the signs outwards from the best-connected actor."""
    side = [-1] * n
    for root in sorted(range(n), key=lambda v: (-len(neighbours[v]), v)):
        if side[root] >= 0:
            continue
        side[root] = 0
        stack = [root]
        while stack:
            node = stack.pop()
            for other, neg in neighbours[node]:
                if side[other] < 0:
                    side[other] = side[node] ^ int(neg)
                    stack.append(other)
    return side


def brute_force_frustration(actors: list[str], signs: Mapping[Pair, int]) -> int:
    """Try every split (for tests and tiny graphs only: 2^(n-1) splits)."""
    if not actors:
        return 0
    best = len(signs)
    for bits in itertools.product((0, 1), repeat=len(actors) - 1):
        side = dict(zip(actors, (0, *bits), strict=True))
        best = min(best, len(frustrated_edges(signs, side)))
    return best
