"""Benchmark: the frustration index on a fixed family of signed networks, and the analysis at scale.

Part 1 (always): Read's Highland Tribes and a seeded family of random signed
networks (16 to 250 actors, up to 1,000 relations: two planted camps with 5, 10
or 20 % of the signs flipped, and signs drawn at random), each solved by
``balance.frustration``; prints actors, relations, value, bound, exact or not and
the time, then the share proven exact within 1 s.

Part 2 (``--scale ACTORS RELATIONS``): a synthetic dataset with skewed degrees
(each relation's first actor a Pareto choice, so one actor holds about half the
relations) in a temporary SQLite database; times ``analysis.balance``,
``analysis.brokers`` and ``analysis.page`` cold, and with ``--profile`` prints
the top of a cProfile of the page.

Usage: python scripts/bench_balance.py [--scale 5000 50000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
import time
from pathlib import Path

from webapp.services.balance import Pair, frustration, pair

# Read, K. E. (1954). Cultures of the Central Highlands, New Guinea. Southwestern Journal of
# Anthropology 10(1), 1-43; as tabulated in Hage, P. & Harary, F. (1983). Structural Models in
# Anthropology, Cambridge University Press, pp. 56-60 (UCINET's GAMAPOS/GAMANEG, KONECT's
# ucidata-gama). Sixteen Gahuku-Gama subtribes; +1 rova (alliance), -1 hina (enmity).
TRIBES = ["Gavev", "Kotun", "Ove", "Alika", "Nagam", "Gahuk", "Masil", "Ukudz",
          "Notoh", "Kohik", "Geham", "Asaro", "Uheto", "Seuve", "Nagad", "Gama"]
HIGHLAND_TRIBES = [
    (1, 2, 1), (1, 3, -1), (2, 3, -1), (1, 4, -1), (3, 4, 1), (1, 5, -1), (2, 5, -1), (1, 6, -1),
    (2, 6, -1), (3, 6, 1), (3, 7, 1), (5, 7, 1), (6, 7, 1), (3, 8, 1), (4, 8, 1), (6, 8, 1),
    (7, 8, 1), (2, 9, -1), (5, 9, 1), (6, 9, -1), (2, 10, -1), (9, 10, 1), (6, 11, 1), (7, 11, 1),
    (8, 11, 1), (9, 11, -1), (10, 11, -1), (1, 12, -1), (6, 12, 1), (7, 12, 1), (8, 12, 1), (11, 12, 1),
    (6, 13, -1), (7, 13, 1), (9, 13, 1), (10, 13, 1), (11, 13, -1), (5, 14, 1), (8, 14, -1), (12, 14, -1),
    (13, 14, 1), (1, 15, 1), (2, 15, 1), (5, 15, -1), (9, 15, -1), (10, 15, -1), (11, 15, -1), (12, 15, -1),
    (13, 15, -1), (1, 16, 1), (2, 16, 1), (5, 16, -1), (6, 16, -1), (11, 16, -1), (12, 16, -1), (13, 16, -1),
    (14, 16, -1), (15, 16, 1),
]
HIGHLAND_TRIBES_FRUSTRATION = 7  # Aref & Wilson (2018), and a brute force over all 2^15 splits

SIZES = [(16, 48), (32, 96), (64, 200), (100, 400), (150, 600), (200, 800), (200, 1000), (250, 1000)]
NOISE = [0.05, 0.1, 0.2, None]  # None: every sign random (60 % cooperative)


def highland_tribes() -> tuple[list[str], dict[Pair, int]]:
    signs = {pair(TRIBES[a - 1], TRIBES[b - 1]): sign for a, b, sign in HIGHLAND_TRIBES}
    return sorted(TRIBES), signs


def random_network(actors: int, relations: int, noise: float | None, seed: int) -> tuple[list[str], dict[Pair, int]]:
    """Two planted camps with a share of the signs flipped, or (noise None) random signs."""
    rng = random.Random(seed)
    names = [f"a{i:03d}" for i in range(actors)]
    camp = [rng.randint(0, 1) for _ in names]
    signs: dict[Pair, int] = {}
    while len(signs) < relations:
        i, j = rng.sample(range(actors), 2)
        key = pair(names[i], names[j])
        if key in signs:
            continue
        if noise is None:
            sign = 1 if rng.random() < 0.6 else -1
        else:
            sign = 1 if camp[i] == camp[j] else -1
            sign = -sign if rng.random() < noise else sign
        signs[key] = sign
    return names, signs


def family() -> list[tuple[str, list[str], dict[Pair, int]]]:
    networks = [("Highland Tribes (Read 1954)", *highland_tribes())]
    for actors, relations in SIZES:
        for noise in NOISE:
            label = "random signs" if noise is None else f"two camps, {round(noise * 100)}% flipped"
            networks.append((label, *random_network(actors, relations, noise, seed=actors * 1000 + relations)))
    return networks


def solver_table() -> None:
    print(f"{'network':32} {'actors':>6} {'relations':>9} {'value':>6} {'bound':>6} {'exact':>5} {'time':>8}")
    within = 0
    networks = family()
    for label, actors, signs in networks:
        started = time.perf_counter()
        result = frustration(actors, signs)
        elapsed = time.perf_counter() - started
        within += result.exact and elapsed <= 1.0
        print(f"{label:32} {len(actors):6d} {len(signs):9d} {result.value:6d} {result.lower_bound:6d} "
              f"{'yes' if result.exact else 'no':>5} {elapsed * 1000:7.0f}ms", flush=True)
        if label.startswith("Highland"):
            assert len(signs) == 58 and sum(s > 0 for s in signs.values()) == 29
            assert result.exact and result.value == HIGHLAND_TRIBES_FRUSTRATION, result
    print(f"proven exact within 1 s: {within} of {len(networks)} ({within / len(networks):.0%})")


def build_skewed(database, actors: int, relations: int) -> None:  # type: ignore[no-untyped-def]
    """A synthetic dataset straight into the tables: a Pareto-chosen first actor, 8 blocs, two camps + noise."""
    from sqlalchemy import insert

    from webapp.dates import PartialDate
    from webapp.models import Actor, Bloc, Dataset, Event, Passage, Relation, RelationEvidence, Source

    rng = random.Random(13)
    sentence = "Officials said the two sides had agreed to work together on the matter. "
    text = sentence * 400
    types = {1: ["cooperation", "alliance", "political_support"], -1: ["hostility", "opposition", "rivalry"]}
    with database.transaction() as session:
        session.execute(insert(Dataset), [{"id": "bench", "title": "Benchmark", "description": "", "revision": 1}])
        session.execute(insert(Bloc), [{"id": f"b{i}", "dataset_id": "bench", "name": f"Bloc {i}", "color": "#336699",
                                        "description": "", "position": i} for i in range(8)])
        session.execute(insert(Source), [{"id": f"s{i}", "dataset_id": "bench", "title": f"S{i}", "text": text,
                                          "filename": f"s{i}.md", "language": "en"} for i in range(100)])
        session.execute(insert(Actor), [{"id": f"a{i}", "dataset_id": "bench", "name": f"Actor {i}", "kind": "state",
                                         "bloc_id": f"b{i % 8}", "description": "", "position": i}
                                        for i in range(actors)])
        session.execute(insert(Passage), [{"id": i + 1, "source_id": f"s{i % 100}", "start": (i // 100) * 50 % 28000,
                                           "end": (i // 100) * 50 % 28000 + 40, "exact": "x", "prefix": "",
                                           "suffix": "", "voice": "report"} for i in range(relations)])
        rows, evidence = [], []
        for i in range(relations):
            a = min(int(rng.paretovariate(1.0)) - 1, actors - 1)
            b = rng.randrange(actors - 1)
            b += b >= a
            sign = 1 if (a % 8 < 4) == (b % 8 < 4) else -1
            sign = -sign if rng.random() < 0.1 else sign
            start = PartialDate.parse(f"{rng.randint(2000, 2020)}-{rng.randint(1, 12):02d}")
            end = PartialDate.parse(str(start.first.year + rng.randint(1, 6))) if rng.random() < 0.3 else None
            rows.append({"id": f"r{i}", "dataset_id": "bench", "source_id": f"a{a}", "target_id": f"a{b}",
                         "type": rng.choice(types[sign]), "sign": sign, "directed": False,
                         "confidence": rng.choice(["high", "medium", "low"]), "summary": "", "position": i,
                         "start": str(start), "start_first": start.first, "end": str(end) if end else None,
                         "end_last": end.last if end else None})
            evidence.append({"relation_id": f"r{i}", "position": 0, "passage_id": i + 1})
        session.execute(insert(Relation), rows)
        session.execute(insert(RelationEvidence), evidence)
        events = []
        for i in range(max(1, relations // 25)):
            date = PartialDate.parse(f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            events.append({"id": f"e{i}", "dataset_id": "bench", "date": str(date), "date_first": date.first,
                           "date_last": date.last, "end": None, "end_last": None, "title": f"Event {i}",
                           "summary": "", "position": i})
        session.execute(insert(Event), events)


def scale(actors: int, relations: int, profile: bool) -> None:
    from webapp import migrate
    from webapp.db import Database
    from webapp.services import analysis
    from webapp.services.filters import ViewFilter

    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(database)
        build_skewed(database, actors, relations)
        view = ViewFilter()
        print(f"\nsynthetic network: {actors} actors, {relations} relations (SQLite, skewed degrees)")
        for name, function in [("balance (API)", lambda s: analysis.balance(s, view)),
                               ("brokers", lambda s: analysis.brokers(s, view)),
                               ("page (all of /analysis's data)", lambda s: analysis.page(s, view, None))]:
            with database.session() as session:
                started = time.perf_counter()
                result = function(session)
                print(f"{name:32} {(time.perf_counter() - started) * 1000:8.0f} ms", flush=True)
            if name.startswith("balance"):
                print(f"  triangles {result['summary']['triangles']}, frustration {result['frustration']} "
                      f"(bound {result['frustration_lower_bound']}, {result['method']})")
        if profile:
            with database.session() as session:
                profiler = cProfile.Profile()
                profiler.runcall(analysis.page, session, view, None)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs=2, type=int, metavar=("ACTORS", "RELATIONS"))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--skip-family", action="store_true")
    args = parser.parse_args()
    if not args.skip_family:
        solver_table()
    if args.scale:
        scale(*args.scale, args.profile)


if __name__ == "__main__":
    main()
