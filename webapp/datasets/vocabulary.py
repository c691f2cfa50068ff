"""The built-in relation types (SPEC §3): each with its default sign and direction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RelationKind:
    id: str
    label: str
    sign: int
    directed: bool


BUILTIN_RELATION_TYPES: dict[str, RelationKind] = {
    kind.id: kind
    for kind in (
        RelationKind("alliance", "alliance", 1, False),
        RelationKind("cooperation", "cooperation", 1, False),
        RelationKind("coordination", "coordination", 1, False),
        RelationKind("intelligence_sharing", "intelligence sharing", 1, False),
        RelationKind("military_support", "military support", 1, True),
        RelationKind("political_support", "political support", 1, True),
        RelationKind("financial_support", "financial support", 1, True),
        RelationKind("training", "training", 1, True),
        RelationKind("diplomatic_contact", "diplomatic contact", 1, False),
        RelationKind("opposition", "opposition", -1, True),
        RelationKind("hostility", "hostility", -1, False),
        RelationKind("military_action", "military action", -1, True),
        RelationKind("non_cooperation", "refuses to cooperate", -1, True),
        RelationKind("rivalry", "rivalry", -1, False),
        RelationKind("leads", "leads", 0, True),
        RelationKind("member_of", "member of", 0, True),
        RelationKind("represents", "represents", 0, True),
    )
}

SIGN_NAMES = {1: "cooperative", -1: "adversarial", 0: "structural"}
SIGN_SYMBOLS = {1: "+", -1: "−", 0: "0"}
