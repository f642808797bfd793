"""YAML loading that remembers line numbers, so validation can say `file:line: problem`.

Mappings load as LineDict and sequences as LineList; both carry the 1-based line of the node and
of each key or item. Nothing here knows about the bot's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.content.yamlslips import explain


class LineDict(dict):
    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


# libyaml's parser, when PyYAML has it, reads the content ten times faster (a /reload, the
# preview's watcher); a file it refuses is read again by the pure-Python one, whose wording of
# the slip bot/content/yamlslips.py explains.
class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool) and isinstance(key_node, yaml.ScalarNode):
            # YAML 1.1 reads a bare `on:` or `no:` key as a boolean; content keys are words.
            key = key_node.value
        if key in out:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{key} is written twice (first on line {out.key_lines[key]})",
                key_node.start_mark,
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(n, deep=True) for n in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [n.start_mark.line + 1 for n in node.value]
    return out


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


for _loader in (_Loader, _FastLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    # Dates and times stay strings: the validator parses them in Europe/London with clear
    # messages.
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(path: Path) -> Any:
    """Parse one YAML file with line numbers; raise YamlProblem, at the slip, if it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlProblem(1, "file is not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506
    except yaml.YAMLError:
        pass
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(*explain(text, exc)) from None


def line_of(data: Any, loc: tuple[Any, ...]) -> int:
    """Best line for a path of keys/indexes into loaded data (the deepest node found)."""
    line = getattr(data, "line", 1) or 1
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
