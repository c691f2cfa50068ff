"""A synthetic dataset in the SPEC §3 format (YAML files and articles on disk), for scripts/bench.py.

Degrees are skewed as real data is: each relation's first actor is a Pareto choice (shape 1), so
the first actor holds about half the relations. Every quote occurs, once, in its article (some
written with curly quotes and non-breaking spaces in the article, straight ones in the quote, so
the matcher's folding is exercised); voices, speakers, dated, partial and undated relations, and
events are all there. The same arguments always write the same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SYLLABLES = ["ka", "ro", "vi", "ta", "mel", "dor", "an", "se", "lu", "bra", "nor", "ti", "sha", "gen", "ul",
             "mir", "os", "pe", "zan", "qua", "ber", "fi", "lo", "hes", "tra", "vo", "dim", "ar", "ke", "sol"]
KINDS = ["state", "organization", "armed_group", "person", "coalition", "group"]
TYPES = [("cooperation", 1), ("alliance", 1), ("military_support", 1), ("political_support", 1),
         ("intelligence_sharing", 1), ("diplomatic_contact", 1), ("opposition", -1), ("hostility", -1),
         ("military_action", -1), ("rivalry", -1), ("leads", 0), ("member_of", 0)]
VERBS = {1: ["agreed to work with", "pledged support to", "signed a pact with", "sent advisers to"],
         -1: ["condemned", "launched strikes against", "broke off talks with", "denounced"],
         0: ["is led by officials of", "joined the ranks of", "answers to", "sits within"]}
PRESETS = {"1k": (1000, 10000, 200, 400), "5k": (5000, 50000, 1000, 2000)}


@dataclass(frozen=True)
class Scale:
    actors: int
    relations: int
    sources: int
    events: int


def _names(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if word not in seen:
            seen.add(word)
            names.append(word)
    return names


def _date(rng: random.Random) -> str:
    year = rng.randint(1995, 2024)
    precision = rng.random()
    if precision < 0.3:
        return str(year)
    if precision < 0.6:
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


class _Article:
    """One article's paragraphs as they are written, and the quotes taken from them."""

    def __init__(self, ident: str) -> None:
        self.id = ident
        self.paragraphs: list[list[str]] = [[]]

    def add(self, rng: random.Random, sentence: str, quote: str) -> str:
        """Append a sentence containing ``quote``; return the quote as the YAML will cite it."""
        written = sentence
        if rng.random() < 0.15:  # typographic variants the matcher must fold
            written = sentence.replace(quote, "“" + quote.replace(" ", "\u00a0", 1) + "”")
            written = written.replace("'", "’")
        self.paragraphs[-1].append(written)
        if len(self.paragraphs[-1]) >= rng.randint(3, 6):
            self.paragraphs.append([])
        return quote

    def text(self, title: str) -> str:
        body = "\n\n".join(" ".join(p) for p in self.paragraphs if p)
        return f"{title}\n\n{body}\n"


def generate(directory: Path, scale: Scale, *, seed: int = 13, dataset_id: str = "bench") -> dict[str, Any]:
    """Write the dataset under ``directory`` (created); return facts about it (best-connected actor …)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources").mkdir(exist_ok=True)
    blocs = [{"id": f"bloc-{i}", "name": f"Bloc {name}", "color": f"#{rng.randrange(0x1000000):06x}",
              "description": f"The synthetic bloc {name}."} for i, name in enumerate(_names(rng, 12))]
    names = _names(rng, scale.actors)
    actors: list[dict[str, Any]] = []
    people: list[str] = []
    for index, name in enumerate(names):
        ident = f"a{index:05d}"
        kind = KINDS[index % len(KINDS)] if index else "state"
        actor: dict[str, Any] = {"id": ident, "name": name, "kind": kind}
        if rng.random() < 0.8:
            actor["bloc"] = rng.choice(blocs)["id"]
        actor["aliases"] = [name, f"{name}i"] if rng.random() < 0.5 else [name]
        actor["description"] = f"{name}, a synthetic {kind.replace('_', ' ')}."
        if kind == "person":
            people.append(ident)
            if index > 1 and rng.random() < 0.5:
                actor["affiliation"] = f"a{rng.randrange(index):05d}"
        actors.append(actor)
    articles = [_Article(f"src-{i:05d}") for i in range(scale.sources)]
    serial = 0
    cited: list[dict[str, Any]] = []  # evidence items cited once, some of which are cited again

    def evidence(subject: str, verb: str, obj: str) -> dict[str, Any]:
        nonlocal serial
        if cited and rng.random() < 0.05:
            return dict(rng.choice(cited))
        serial += 1
        article = rng.choice(articles)
        roll = rng.random()
        if roll < 0.2 and people:
            speaker = rng.choice(people)
            quote = f"{subject} {verb} {obj}, and we will hold to that (statement {serial:07d})"
            sentence = f"“{quote},” said {names[int(speaker[1:])]} on the record."
            item = {"source": article.id, "quote": quote, "voice": "quote", "speaker": speaker}
        elif roll < 0.3:
            quote = f"it was plain that {subject} {verb} {obj} (view {serial:07d})"
            sentence = f"To this writer {quote}."
            item = {"source": article.id, "quote": quote, "voice": "opinion"}
        else:
            quote = f"{subject} {verb} {obj} in what officials called file {serial:07d}"
            sentence = f"Reports said that {quote}."
            item = {"source": article.id, "quote": quote, "voice": "report"}
        item["quote"] = article.add(rng, sentence, quote)
        cited.append(item)
        return item

    relations: list[dict[str, Any]] = []
    degree = [0] * scale.actors
    for index in range(scale.relations):
        while True:
            first = int(rng.paretovariate(1.0)) - 1
            if first < scale.actors:
                break
        second = rng.randrange(scale.actors - 1)
        second += second >= first
        kind, sign = rng.choice(TYPES)
        degree[first] += 1
        degree[second] += 1
        relation: dict[str, Any] = {"id": f"r{index:06d}", "source": f"a{first:05d}", "target": f"a{second:05d}",
                                    "type": kind}
        roll = rng.random()
        if roll < 0.6:
            relation["start"] = _date(rng)
            if rng.random() < 0.3:
                end = _date(rng)
                if end[:4] > relation["start"][:4]:
                    relation["end"] = end
        relation["confidence"] = rng.choice(["high", "medium", "low"])
        relation["summary"] = f"{names[first]} and {names[second]}: {kind.replace('_', ' ')}."
        relation["evidence"] = [evidence(names[first], rng.choice(VERBS[sign]), names[second])
                                for _ in range(1 if rng.random() < 0.8 else 2)]
        relations.append(relation)
    events: list[dict[str, Any]] = []
    for index in range(scale.events):
        members = sorted({f"a{int(rng.paretovariate(1.0)) % scale.actors:05d}", f"a{rng.randrange(scale.actors):05d}",
                          f"a{rng.randrange(scale.actors):05d}"})
        date = _date(rng)
        a, b = names[int(members[0][1:])], names[int(members[-1][1:])]
        events.append({"id": f"e{index:05d}", "date": date, "title": f"Meeting of {a} and {b} ({index})",
                       "actors": members, "summary": f"{a} met {b}.",
                       "evidence": [evidence(a, "met with", b)]})
    for article in articles:
        published = f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = f"Synthetic report {article.id}"
        front = yaml.safe_dump({"id": article.id, "title": title, "publisher": "Bench Wire",
                                "published": published, "language": "en"}, sort_keys=False, allow_unicode=True)
        (directory / "sources" / f"{article.id}.md").write_text(f"---\n{front}---\n{article.text(title)}",
                                                                encoding="utf-8")
    header = {"id": dataset_id, "title": f"Synthetic {scale.actors}/{scale.relations}",
              "description": "A generated dataset for scripts/bench.py.", "blocs": blocs}
    for name, data in (("dataset.yaml", header), ("actors.yaml", actors), ("relations.yaml", relations),
                       ("events.yaml", events)):
        (directory / name).write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                                                width=200), encoding="utf-8")
    top = max(range(scale.actors), key=degree.__getitem__)
    return {"dataset": dataset_id, "top_actor": f"a{top:05d}", "top_degree": degree[top],
            "first_source": articles[0].id}
