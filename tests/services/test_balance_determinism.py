"""The same signed network gives the same analysis in every process, whatever Python's string hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A 64-actor network that needs every stage of the solver (local search, odd-cycle cuts, branching,
# the bloc tie-break), with actor names that are not in index order, analysed end to end.
SCRIPT = r"""
import json, random
from webapp.services.analysis import analyse
rng = random.Random(64)
names = sorted({"".join(rng.choice("aeioubdgklmnrstvz") for _ in range(6)) for _ in range(200)})[:64]
rng.shuffle(names)
camp = {n: rng.randint(0, 1) for n in names}
edges, seen = [], set()
while len(edges) < 200:
    a, b = rng.sample(names, 2)
    if frozenset((a, b)) in seen:
        continue
    seen.add(frozenset((a, b)))
    sign = 1 if camp[a] == camp[b] else -1
    sign = -sign if rng.random() < 0.2 else sign
    edges.append({"id": f"r{len(edges)}", "from": a, "to": b, "type": "cooperation" if sign > 0 else "hostility",
                  "type_label": "x", "sign": sign, "confidence": rng.choice(["low", "medium", "high"]),
                  "evidence_count": rng.randint(0, 3), "start": None, "end": None})
result = analyse(edges, {n: n.title() for n in names}, {n: f"bloc{i % 5}" for i, n in enumerate(names)})
print(json.dumps({key: result[key] for key in ("frustration", "frustration_lower_bound", "method", "partition",
                                               "frustrated", "triads", "actors", "summary")}, sort_keys=False))
"""


def test_answer_does_not_depend_on_the_hash_seed():
    root = Path(__file__).resolve().parents[2]
    outputs = []
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True,
                             check=True)
        outputs.append(run.stdout)
    assert '"method": "exact"' in outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]
