"""Structural balance on hand-made signed graphs, and the exact frustration index against brute force."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.analysis import analyse
from webapp.services.balance import Effort, brute_force_frustration, frustrated_edges, frustration, pair

NO_EFFORT = Effort(cut_rounds=0, cuts_per_round=0, sources=0, node_limit=0, time_limit=1.0)

NAMES = {"a": "Alpha", "b": "Beta", "c": "Gamma", "d": "Delta"}


def edge(ident: str, a: str, b: str, sign: int, *, kind: str | None = None, confidence: str = "high",
         evidence: int = 1) -> dict:
    kind = kind or {1: "cooperation", -1: "hostility", 0: "leads"}[sign]
    return {"id": ident, "from": a, "to": b, "type": kind, "type_label": kind, "sign": sign,
            "confidence": confidence, "evidence_count": evidence}


def triangle(ab: int, bc: int, ac: int) -> list[dict]:
    return [edge("ab", "a", "b", ab), edge("bc", "b", "c", bc), edge("ac", "a", "c", ac)]


def test_all_cooperative_triangle_is_balanced_and_needs_no_removal():
    result = analyse(triangle(1, 1, 1), NAMES, {})
    [triad] = result["triads"]
    assert triad["balanced"] and triad["weakly_balanced"]
    assert result["frustration"] == 0 and result["method"] == "exact"
    assert set(result["partition"].values()) == {0}


def test_one_adversarial_side_makes_two_friends_who_are_enemies():
    result = analyse(triangle(1, 1, -1), NAMES, {})
    [triad] = result["triads"]
    assert not triad["balanced"] and not triad["weakly_balanced"]
    # Beta is the shared friend, so it is named in the middle and in the sentence.
    assert triad["actors"] == ["a", "b", "c"]
    assert triad["sentence"].startswith("Beta is caught between Alpha and Gamma")
    assert result["frustration"] == 1
    assert {a["id"]: a["unbalanced"] for a in result["actors"]} == {"a": 1, "b": 1, "c": 1}


def test_three_adversarial_sides_are_unbalanced_but_weakly_balanced():
    result = analyse(triangle(-1, -1, -1), NAMES, {})
    [triad] = result["triads"]
    assert not triad["balanced"] and triad["weakly_balanced"]
    assert "all three are at odds" in triad["sentence"]
    assert result["frustration"] == 1


def test_enemy_of_my_enemy_is_balanced():
    result = analyse(triangle(1, -1, -1), NAMES, {})
    assert result["triads"][0]["balanced"]
    assert result["frustration"] == 0
    assert result["partition"]["a"] == result["partition"]["b"] != result["partition"]["c"]


def test_contested_pair_takes_the_weightier_sign_and_is_flagged():
    edges = triangle(1, 1, 1) + [edge("ab-neg", "a", "b", -1, confidence="low")]
    result = analyse(edges, NAMES, {})
    [contested] = result["contested"]
    assert contested["actors"] == ["a", "b"] and contested["sign"] == 1
    assert (contested["cooperative_weight"], contested["adversarial_weight"]) == (3, 1)
    assert result["triads"][0]["balanced"]
    assert result["triads"][0]["sides"][0]["contested"] is True

    # With more weight on the adversarial side the pair flips, and so does the triangle.
    heavier = triangle(1, 1, 1) + [edge("ab-neg", "a", "b", -1), edge("ab-neg2", "a", "b", -1, confidence="medium")]
    assert not analyse(heavier, NAMES, {})["triads"][0]["balanced"]


def test_a_tie_counts_as_adversarial():
    edges = triangle(1, 1, 1) + [edge("ab-neg", "a", "b", -1)]
    assert analyse(edges, NAMES, {})["contested"][0]["sign"] == -1


def test_structural_relations_are_left_out():
    edges = [edge("ab", "a", "b", 1), edge("bc", "b", "c", 1), edge("ac", "a", "c", 0)]
    result = analyse(edges, NAMES, {})
    assert result["triads"] == [] and result["summary"]["pairs"] == 2


def test_blocs_break_ties_between_equally_good_camps():
    # A cycle with one hostility: dropping any one of its four edges is optimal,
    # but only two of those splits keep the bloc b, c, d together.
    edges = [edge("ab", "a", "b", 1), edge("bc", "b", "c", -1), edge("cd", "c", "d", 1), edge("ad", "a", "d", 1)]
    result = analyse(edges, NAMES, {"b": "x", "c": "x", "d": "x"})
    assert result["frustration"] == 1
    assert result["partition"]["b"] == result["partition"]["c"] == result["partition"]["d"]


def test_above_the_exact_limit_the_bounded_solve_states_its_bounds():
    signs = {pair(*p): (-1 if i % 3 == 0 else 1) for i, p in enumerate(itertools.combinations("abcdefgh", 2))}
    exact = frustration("abcdefgh", signs)
    bounded = frustration("abcdefgh", signs, exact_max=3)
    assert exact.exact
    # The bounded solve may still prove the optimum; it says exact only when its bounds meet.
    assert bounded.exact == (bounded.lower_bound == bounded.value)
    assert bounded.lower_bound <= exact.value <= bounded.value
    assert bounded.value == len(frustrated_edges(signs, bounded.partition))


def random_signed(seed: int, actors: int, density: float = 0.5) -> tuple[list[str], dict]:
    rng = random.Random(seed)
    names = [f"n{i:02d}" for i in range(actors)]
    signs = {pair(a, b): rng.choice([1, -1]) for a, b in itertools.combinations(names, 2) if rng.random() < density}
    return names, signs


def test_with_no_effort_the_answer_is_a_true_pair_of_bounds_and_a_consistent_split():
    # A local search and one relaxation (unbalanced triangles only) leave this graph between 2 and 4.
    actors, signs = random_signed(0, 12)
    truth = brute_force_frustration(actors, signs)
    rough = frustration(actors, signs, effort=NO_EFFORT)
    assert not rough.exact and rough.method == "heuristic"
    assert rough.lower_bound < truth <= rough.value
    assert set(rough.partition) == set(actors)
    assert rough.value == len(frustrated_edges(signs, rough.partition)) == len(rough.frustrated)
    proven = frustration(actors, signs)
    assert proven.exact and proven.value == proven.lower_bound == truth


def test_exact_on_seeded_random_signed_graphs_against_brute_force():
    for seed in range(40):
        actors, signs = random_signed(seed, 5 + seed % 9, density=0.3 + (seed % 5) / 10)
        result = frustration(actors, signs)
        truth = brute_force_frustration(actors, signs)
        assert result.exact and result.value == result.lower_bound == truth, seed
        assert len(frustrated_edges(signs, result.partition)) == truth, seed


def test_every_bounded_path_encloses_the_truth_on_seeded_graphs():
    budgets = [NO_EFFORT, Effort(cut_rounds=1, cuts_per_round=5, sources=3, node_limit=0, time_limit=1.0),
               Effort(cut_rounds=0, cuts_per_round=0, sources=0, node_limit=1, time_limit=1.0)]
    for seed in range(30):
        actors, signs = random_signed(100 + seed, 11)
        truth = brute_force_frustration(actors, signs)
        for budget in budgets:
            result = frustration(actors, signs, effort=budget)
            assert result.lower_bound <= truth <= result.value, (seed, budget)
            assert result.exact == (result.lower_bound == result.value)
            assert result.value == len(frustrated_edges(signs, result.partition)), (seed, budget)


def test_components_are_solved_apart_and_their_indices_add_up():
    one, two = random_signed(3, 9), random_signed(4, 8)
    renamed = {pair(*(f"m{n[1:]}" for n in sorted(key))): sign for key, sign in two[1].items()}
    actors = one[0] + [f"m{n[1:]}" for n in two[0]] + ["loner"]
    result = frustration(actors, {**one[1], **renamed})
    assert result.value == brute_force_frustration(*one) + brute_force_frustration(*two)
    assert result.partition["loner"] == 0 and result.exact


def test_the_highland_tribes_have_frustration_seven():
    # Read (1954), Hage & Harary (1983): 16 subtribes, 29 alliances and 29 enmities.
    from scripts.bench_balance import highland_tribes

    actors, signs = highland_tribes()
    assert len(signs) == 58 and sorted(signs.values()).count(1) == 29
    result = frustration(actors, signs)
    assert result.exact and result.value == 7 == len(result.frustrated)


signed_graphs = st.integers(min_value=1, max_value=8).flatmap(
    lambda n: st.tuples(
        st.just([f"n{i}" for i in range(n)]),
        st.dictionaries(
            st.sampled_from([pair(f"n{i}", f"n{j}") for i in range(n) for j in range(i + 1, n)] or [pair("n0", "n1")]),
            st.sampled_from([1, -1]),
        ) if n > 1 else st.just({}),
    )
)


@settings(max_examples=150, deadline=None)
@given(signed_graphs)
def test_exact_frustration_index_matches_brute_force(graph):
    actors, signs = graph
    result = frustration(actors, signs)
    assert result.exact
    assert result.value == brute_force_frustration(actors, signs)
    assert result.value == len(frustrated_edges(signs, result.partition))


@settings(max_examples=100, deadline=None)
@given(signed_graphs)
def test_heuristic_bounds_enclose_the_true_value(graph):
    actors, signs = graph
    truth = brute_force_frustration(actors, signs)
    rough = frustration(actors, signs, exact_max=0)
    assert rough.lower_bound <= truth <= rough.value
