"""YAML reading that keeps line numbers, so every problem can be reported as ``file:line``.

Dataset files are untrusted input: anchors and aliases (the "billion laughs" expansion) are
refused, and so are documents nested more than ``MAX_DEPTH`` levels or holding more than
``MAX_NODES`` values, each as a problem on its line, never a traceback or a hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class Mapping(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int
    item_lines: list[int]


def from_plain(value: Any, line: int = 0) -> Any:
    """Plain data (parsed JSON, a form) as the reader's line-keeping containers, every line ``line``."""
    if isinstance(value, dict):
        mapping = Mapping({key: from_plain(item, line) for key, item in value.items()})
        mapping.line, mapping.key_lines = line, {}
        return mapping
    if isinstance(value, list):
        sequence = Sequence(from_plain(item, line) for item in value)
        sequence.line, sequence.item_lines = line, [line] * len(sequence)
        return sequence
    return value


@dataclass(frozen=True)
class YamlProblem:
    line: int
    message: str


# No curated file comes near these; they bound the time and memory a hostile file can take.
MAX_DEPTH = 64
MAX_NODES = 250_000


class _Refused(yaml.MarkedYAMLError):
    """A well-formed document this reader will not build (an alias, too deep, too large)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(problem=message, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise _Refused(f"YAML anchors and aliases ({sign}{event.anchor}) are not allowed in dataset files: "
                           "write each value out", event.start_mark)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values in one YAML document: split the file", event.start_mark)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"lists and mappings nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# Dates stay strings: a partial date is validated by our own rules, and
# "2015-09-27" must not silently become a different type than "2015-09".
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _convert(node: yaml.Node, loader: _Loader, problems: list[YamlProblem], line_offset: int) -> Any:
    line = node.start_mark.line + 1 + line_offset
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = Mapping()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, problems, line_offset)
            key_line = key_node.start_mark.line + 1 + line_offset
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(YamlProblem(key_line, "a mapping key must be a plain name"))
                continue
            key = str(key)
            if key in result:
                problems.append(YamlProblem(key_line, f"duplicate key '{key}' (first on line {result.key_lines[key]})"))
                continue
            result[key] = _convert(value_node, loader, problems, line_offset)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = Sequence(_convert(child, loader, problems, line_offset) for child in node.value)
        items.line = line
        items.item_lines = [child.start_mark.line + 1 + line_offset for child in node.value]
        return items
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as error:  # e.g. an integer of more digits than Python converts
        problems.append(YamlProblem(line, f"cannot read this value: {error}"))
        return None


def parse(text: str, line_offset: int = 0) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return its data (with line numbers) and any problems."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # this already refuses characters YAML does not allow
        node = loader.get_single_node()
        if node is None:
            return None, []
        problems: list[YamlProblem] = []
        return _convert(node, loader, problems, line_offset), problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        reason = error.problem or error.context or "invalid YAML"
        return None, [YamlProblem(line, reason if isinstance(error, _Refused) else f"YAML syntax error: {reason}")]
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, max(error.position, 0)) + 1 + line_offset
        character = error.character if isinstance(error.character, int) else 0
        return None, [YamlProblem(line, f"the character U+{character:04X} is not allowed in YAML")]
    except yaml.YAMLError as error:
        return None, [YamlProblem(1 + line_offset, f"YAML error: {error}")]
    finally:
        if loader is not None:
            loader.dispose()


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split a Markdown file into (front matter YAML, body, line where the front matter starts).

    The body is everything after the closing ``---`` line, exactly as written.
    """
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return None, text, 0
    first_break = text.index("\n") + 1
    position = first_break
    while True:
        next_break = text.find("\n", position)
        line = text[position:] if next_break == -1 else text[position:next_break]
        if line.rstrip("\r") == "---":
            body_start = len(text) if next_break == -1 else next_break + 1
            return text[first_break:position], text[body_start:], 1
        if next_break == -1:
            return None, text, 0
        position = next_break + 1


def dump(data: Any) -> str:
    """Write YAML the way a person would: block style, keys in the given order, UTF-8."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write them.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
