"""A list file read an item at a time (``yamlio.Items``) says exactly what parsing it whole says."""

from __future__ import annotations

import pytest

from webapp.datasets import yamlio

DEEP = "- " + "[" * 70 + "]" * 70 + "\n"

DOCUMENTS = {
    "a list of mappings": "- id: a\n  name: A\n  tags: [x, y]\n- id: b\n  name: B\n",
    "a duplicate key and a number Python will not convert": f"- id: a\n  id: b\n- n: {'9' * 5000}\n",
    "a key that is not a name": "- {[1, 2]: x}\n- id: c\n",
    "an empty list": "[]\n",
    "a flow list": "[a, {b: 1}, [c]]\n",
    "a scalar item among mappings": "- id: a\n- just text\n- 3\n",
    "a mapping, not a list": "id: a\nrelations: []\n",
    "a scalar, not a list": "hello\n",
    "nothing but a comment": "# empty\n",
    "null": "~\n",
    "a syntax error in the third item": "- id: a\n- id: b\n- id: [c\n- id: d\n",
    "an alias in the second item": "- &x id: a\n- *x\n",
    "an anchor on the list itself": "&all\n- id: a\n",
    "an item nested too deep": "- id: a\n" + DEEP,
    "a second document": "- id: a\n---\n- id: b\n",
    "a control character": "- id: a\n- id: \x1b\n",
    "libyaml's own nesting bound": "- " + "[" * 5000 + "]" * 5000 + "\n",
}


def streamed(text: str, offset: int = 0) -> tuple[list[tuple[int, object]], yamlio.Items]:
    items = yamlio.Items(text, offset)
    return list(items), items


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
@pytest.mark.parametrize("offset", [0, 3])
def test_items_one_at_a_time_are_what_the_whole_parse_gives(text, offset):
    data, problems = yamlio.parse(text, offset)
    given, items = streamed(text, offset)
    assert items.problems == problems
    if isinstance(data, yamlio.Sequence):
        assert given == list(zip(data.item_lines, data, strict=True)) and not items.failed
        assert isinstance(items.root, yamlio.Sequence) and items.root.line == data.line and not items.root
        for (_line, item), whole in zip(given, data, strict=True):  # lines of every value inside, too
            assert getattr(item, "key_lines", None) == getattr(whole, "key_lines", None)
    else:
        assert items.root == data
        assert items.failed == (data is None and bool(problems))
        if not items.failed:
            assert given == []


def test_a_file_too_large_counts_its_values_across_items(monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_NODES", 10)
    text = "".join(f"- id: a{n}\n" for n in range(10))  # the list, then 3 values an item (mapping, key, value)
    given, items = streamed(text)
    assert items.failed and items.problems == yamlio.parse(text)[1] == [
        yamlio.YamlProblem(4, "more than 10 values in one YAML document: split the file")]
    assert [line for line, _item in given] == [1, 2, 3]  # to be disregarded, as failed says
