"""Voice and speaker guessed from quotation marks and attribution, on the seed article's own sentences."""

from __future__ import annotations

import pytest

from webapp.text.attribution import attribute

from ..conftest import SEED_DIR

ARTICLE = next((SEED_DIR / "sources").glob("*.md")).read_text(encoding="utf-8")
NAMES = {
    "Joint Operations Command": "joint-operations-command", "Warren": "warren", "Col. Steve Warren": "warren",
    "John Kerry": "kerry", "Kerry": "kerry", "Sergei Lavrov": "lavrov", "Lavrov": "lavrov",
    "Hassan Rouhani": "rouhani", "Bashar al-Assad": "assad", "Assad": "assad", "Russia": "russia", "Syria": "syria",
    "Iraq": "iraq", "Iran": "iran", "U.S.": "united-states", "CNN": "cnn",
}


def guess(quote: str):  # type: ignore[no-untyped-def]
    start = ARTICLE.index(quote)
    return attribute(ARTICLE, start, start + len(quote), NAMES)


@pytest.mark.parametrize(("quote", "voice", "speaker"), [
    # "…,” Warren said
    ("We recognize that Iraq has an interest in sharing information on ISIL", "quote", "warren"),
    # the next quotation of the same paragraph, attributed in the sentence before
    ("We do not support the presence of Syrian government officials", "quote", "warren"),
    # "A statement issued by the Joint Operations Command said the countries will “…”"
    ("help and cooperate in collecting information about the terrorist Daesh group", "quote",
     "joint-operations-command"),
    # "John Kerry, who met with … Sergei Lavrov …, said … that “…”": the relative clause is skipped
    ("This is not yet coordinated.", "quote", "kerry"),
    # "… Hassan Rouhani told CNN’s Christiane Amanpour … that backing Syria’s “central government” …"
    ("central government", "quote", "rouhani"),
    # a reported fact, and reported speech without quotation marks
    ("A U.S.-led coalition has meanwhile been conducting airstrikes against IS", "report", None),
    ("the U.S. remains committed to working with Iraq to defeat the extremists", "report", None),
])
def test_voice_and_speaker(quote, voice, speaker):
    found = guess(quote)
    assert (found.voice, found.speaker) == (voice, speaker), found.reason


def test_a_quote_with_no_speaker_named_is_still_a_quote():
    text = "The rebels were called “terrorists” in the statement."
    start = text.index("terrorists")
    found = attribute(text, start, start + len("terrorists"), NAMES)
    assert (found.voice, found.speaker) == ("quote", None)
