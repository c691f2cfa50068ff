"""YAML reading that keeps line numbers, so every problem can be reported as ``file:line``.

Dataset files are untrusted input: anchors and aliases (the "billion laughs" expansion) are
refused, and so are documents nested more than ``MAX_DEPTH`` levels or holding more than
``MAX_NODES`` values, each as a problem on its line, never a traceback or a hang.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import yaml


class Mapping(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    __slots__ = ("line", "key_lines")

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    __slots__ = ("line", "item_lines")

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


# No curated file comes near these (a relation of 50,000 holds 20 to 30 values); they bound the time
# and memory a hostile file can take.
MAX_DEPTH = 64
MAX_NODES = 3_000_000


class _Refused(yaml.MarkedYAMLError):
    """A well-formed document this reader will not build (an alias, too deep, too large)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(problem=message, problem_mark=mark)


# libyaml's parser when PyYAML was built with it (about 20 times faster), PyYAML's own otherwise;
# either way the values are built here from the parser's events, one at a time, never as a node tree.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


# Dates stay strings: a partial date is validated by our own rules, and
# "2015-09-27" must not silently become a different type than "2015-09".
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_STR = "tag:yaml.org,2002:str"
_SCALAR, _SEQUENCE_START, _SEQUENCE_END, _MAPPING_END = (
    yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent)
_KEY, _SKIP = object(), object()  # a mapping waiting for its next key; a value whose key was refused


class _Open:
    """A list or mapping being built, and (for a mapping) the key its next value goes under."""

    __slots__ = ("container", "key", "key_line")

    def __init__(self, container: Mapping | Sequence) -> None:
        self.container = container
        self.key: Any = _KEY
        self.key_line = 0


class _Builder:
    """Plain data, with lines, from one document's parser events; refuses aliases, depth and size."""

    def __init__(self, loader: Any, problems: list[YamlProblem], line_offset: int) -> None:
        self.loader, self.problems, self.line_offset = loader, problems, line_offset
        self.tags: dict[str, str] = {}  # plain scalar → its resolved tag ("2015", "true", "a00012" recur)
        self.nodes = 0  # values of the document so far
        self.depth = 0  # lists and mappings open around the value being built (its list, for ``items``)

    def scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if event.implicit[0]:
                tag = self.tags.get(event.value)
                if tag is None:
                    tag = self.tags[event.value] = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            else:
                tag = _STR
        if tag == _STR:
            return event.value
        marks: tuple[Any, Any] = (event.start_mark, event.end_mark)  # libyaml's marks are of its own class
        node = yaml.ScalarNode(tag, event.value, *marks, style=event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as error:  # e.g. an integer of more digits than Python converts
            self.problems.append(YamlProblem(line, f"cannot read this value: {error}"))
            return None
        finally:
            self.loader.constructed_objects.pop(node, None)

    def count(self, event: Any) -> int:
        """Count one more value (refusing aliases, anchors and too many values); its line."""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise _Refused(f"YAML anchors and aliases ({sign}{event.anchor}) are not allowed in dataset files: "
                           "write each value out", event.start_mark)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values in one YAML document: split the file", event.start_mark)
        return int(event.start_mark.line) + 1 + self.line_offset

    def document(self) -> Any:
        """The value that begins with the parser's next event, built to its end."""
        get_event, count, attach = self.loader.get_event, self.count, self.attach
        stack: list[_Open] = []
        root: Any = None
        while True:
            event = get_event()
            kind = type(event)
            if kind is _SEQUENCE_END or kind is _MAPPING_END:
                stack.pop()
                if not stack:
                    return root
                continue
            line = count(event)
            value: Any
            if kind is _SCALAR:
                value = self.scalar(event, line)
                if not stack:
                    return value
                attach(stack[-1], value, line, True)
                continue
            if len(stack) + self.depth >= MAX_DEPTH:
                raise _Refused(f"lists and mappings nested more than {MAX_DEPTH} levels deep", event.start_mark)
            if kind is _SEQUENCE_START:
                value = Sequence()
                value.line, value.item_lines = line, []
            else:
                value = Mapping()
                value.line, value.key_lines = line, {}
            if not stack:
                root = value
            else:
                attach(stack[-1], value, line, False)
            stack.append(_Open(value))

    def items(self) -> Generator[tuple[int, Any], None, Sequence]:
        """Each item of the list that begins with the parser's next event, with its line, built as the
        parser finishes it; then that list, without its items."""
        line = self.count(self.loader.get_event())
        listed = Sequence()
        listed.line, listed.item_lines = line, []
        self.depth = 1
        while not isinstance(self.loader.peek_event(), yaml.SequenceEndEvent):
            yield int(self.loader.peek_event().start_mark.line) + 1 + self.line_offset, self.document()
        self.loader.get_event()
        self.depth = 0
        return listed

    def attach(self, parent: _Open, value: Any, line: int, scalar: bool) -> None:
        container = parent.container
        if isinstance(container, Sequence):
            container.append(value)
            container.item_lines.append(line)
        elif parent.key is _KEY:
            if not scalar or not isinstance(value, (str, int, float, bool)) or value is None:
                self.problems.append(YamlProblem(line, "a mapping key must be a plain name"))
                parent.key = _SKIP
            elif str(value) in container:
                key = str(value)
                first = container.key_lines[key]
                self.problems.append(YamlProblem(line, f"duplicate key '{key}' (first on line {first})"))
                parent.key = _SKIP
            else:
                parent.key, parent.key_line = str(value), line
        else:
            if parent.key is not _SKIP:
                container[parent.key] = value
                container.key_lines[parent.key] = parent.key_line
            parent.key = _KEY


def parse(text: str, line_offset: int = 0) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return its data (with line numbers) and any problems."""
    unprintable = _unprintable(text, line_offset)
    if unprintable:
        return None, [unprintable]
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        loader.get_event()  # the stream's start
        if isinstance(loader.peek_event(), yaml.StreamEndEvent):
            return None, []
        start = loader.get_event()  # the document's start
        problems: list[YamlProblem] = []
        data = _Builder(loader, problems, line_offset).document()
        _end_of_stream(loader, start)
        return data, problems
    except yaml.YAMLError as error:
        return None, [_problem_of(error, text, line_offset)]
    finally:
        if loader is not None:
            loader.dispose()


class Items:
    """One YAML document read a top-level list item at a time, so that only one item's values (each
    with its line) are alive at once: what ``parse`` finds, as ``parse`` says it.

    Iterating gives (line, item) for each item of the list, as the parser finishes it. Then
    ``problems`` are those ``parse`` would give, and ``root`` is what the document is: None when
    empty, the list without its items, or the whole value when it is not a list (nothing was given
    then). When ``failed``, the document could not be read to its end: ``problems`` is the one
    reason, and the items given before are to be disregarded (``parse`` gives no data then).
    """

    def __init__(self, text: str, line_offset: int = 0) -> None:
        self.text, self.line_offset = text, line_offset
        self.problems: list[YamlProblem] = []
        self.root: Any = None
        self.failed = False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        text, line_offset = self.text, self.line_offset
        unprintable = _unprintable(text, line_offset)
        if unprintable:
            self.problems, self.failed = [unprintable], True
            return
        loader: _Loader | None = None
        problems: list[YamlProblem] = []
        try:
            loader = _Loader(text)
            loader.get_event()  # the stream's start
            if isinstance(loader.peek_event(), yaml.StreamEndEvent):
                return
            start = loader.get_event()  # the document's start
            builder = _Builder(loader, problems, line_offset)
            if isinstance(loader.peek_event(), yaml.SequenceStartEvent):
                self.root = yield from builder.items()
            else:
                self.root = builder.document()
            _end_of_stream(loader, start)
            self.problems = problems
        except yaml.YAMLError as error:
            self.problems, self.failed, self.root = [_problem_of(error, text, line_offset)], True, None
        finally:
            if loader is not None:
                loader.dispose()


def _unprintable(text: str, line_offset: int) -> YamlProblem | None:
    unprintable = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if not unprintable:
        return None
    line = text.count("\n", 0, unprintable.start()) + 1 + line_offset
    return YamlProblem(line, f"the character U+{ord(unprintable.group()):04X} is not allowed in YAML")


def _end_of_stream(loader: Any, start: Any) -> None:
    """Past the document's end: the stream must end there."""
    loader.get_event()  # the document's end
    following = loader.get_event()
    if not isinstance(following, yaml.StreamEndEvent):
        raise yaml.composer.ComposerError("expected a single document in the stream", start.start_mark,
                                          "but found another document", following.start_mark)


def _problem_of(error: yaml.YAMLError, text: str, line_offset: int) -> YamlProblem:
    """A parser's error as a problem on its line, in our words where libyaml's are unclear."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return YamlProblem(1 + line_offset, f"YAML error: {error}")
    mark = error.problem_mark or error.context_mark
    line = (mark.line + 1 if mark else 1) + line_offset
    reason = error.problem or error.context or "invalid YAML"
    if reason == "found character that cannot start any token" and mark is not None:  # libyaml's words
        reason = f"found character {_character_at(text, mark.line, mark.column)!r} that cannot start any token"
    if reason == "exceeded maximum nesting depth":  # libyaml's own bound, met before the events reach ours
        return YamlProblem(line, f"lists and mappings nested more than {MAX_DEPTH} levels deep")
    return YamlProblem(line, reason if isinstance(error, _Refused) else f"YAML syntax error: {reason}")


def _character_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column:column + 1] if line < len(lines) else ""


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
