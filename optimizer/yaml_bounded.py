"""Bounded YAML: every YAML file lifecircle reads (scenarios, their ``extends`` bases, batch files).

A planner's YAML is small: a scenario is a few kilobytes. A file far larger than that, or
one whose aliases expand into millions of values (a "billion laughs" file, a few lines
long), is refused at once instead of filling memory or keeping a check busy for minutes:

- a file larger than :data:`MAX_BYTES` is refused before it is read;
- a document whose values, with every alias expanded, number more than
  :data:`MAX_VALUES` is refused after it is parsed into nodes and before any Python value
  is built from it (nodes are counted once per alias use, in time proportional to the
  file, not to its expansion);
- lists and mappings nested more than :data:`MAX_DEPTH` deep are refused while scanning;
- an alias that refers to its own anchor (a structure that contains itself) is refused.

The errors name the file and, when it can be told, the top-level key whose value is too
large; they never show the value itself.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

#: The largest YAML file read, in bytes (a scenario is a few kilobytes).
MAX_BYTES = 1_000_000
#: The deepest nesting of lists and mappings read (a scenario nests a few levels).
MAX_DEPTH = 100
#: The most values (mappings, lists and scalars, each alias use counted in full) one YAML document may hold.
MAX_VALUES = 200_000


class YamlTooLarge(ValueError):
    """A YAML document is larger than lifecircle reads; ``where`` names the top-level key when known."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(message)


def _expanded_size(node: yaml.Node, limit: int, memo: dict[int, int], open_nodes: set[int]) -> int:
    """Values ``node`` holds with every alias expanded, counting up to just past ``limit``."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_nodes:
        raise YamlTooLarge("an alias refers to the anchor that contains it (a value that holds itself)")
    size = 1
    if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
        open_nodes.add(key)
        children = (node.value if isinstance(node, yaml.SequenceNode)
                    else [part for pair in node.value for part in pair])
        for child in children:
            size += _expanded_size(child, limit, memo, open_nodes)
            if size > limit:
                break
        open_nodes.discard(key)
    memo[key] = size
    return size


def check_node_size(root: yaml.Node | None, limit: int = MAX_VALUES) -> None:
    """Refuse a composed document that expands to more than ``limit`` values.

    Raises
    ------
    YamlTooLarge
        Naming the top-level key whose value is too large, when the document is a mapping.
    """
    if root is None:
        return
    memo: dict[int, int] = {}
    open_nodes: set[int] = set()
    if isinstance(root, yaml.MappingNode):
        total = 1
        for key_node, value_node in root.value:
            where = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            try:
                size = _expanded_size(key_node, limit, memo, open_nodes) + _expanded_size(value_node, limit, memo,
                                                                                           open_nodes)
            except YamlTooLarge as exc:
                raise YamlTooLarge(str(exc), where) from None
            total += size
            if size > limit or total > limit:
                raise YamlTooLarge(f"too large: its aliases expand to more than {limit:,} values", where)
        return
    if _expanded_size(root, limit, memo, open_nodes) > limit:
        raise YamlTooLarge(f"too large: its aliases expand to more than {limit:,} values")


class BoundedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses documents nested deeper than :data:`MAX_DEPTH` levels or
    expanding past :data:`MAX_VALUES` values."""

    max_values = MAX_VALUES
    max_depth = MAX_DEPTH
    _depth = 0

    def fetch_flow_collection_start(self, TokenClass):  # noqa: N803 - PyYAML's name
        """A ``[`` or ``{``: refused past ``max_depth`` open ones (the scanner slows with every level)."""
        if self.flow_level >= self.max_depth:
            raise YamlTooLarge(f"too deeply nested: more than {self.max_depth} lists or mappings inside each other")
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent, index):
        """One node, refused past ``max_depth`` levels of block nesting."""
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise YamlTooLarge(f"too deeply nested: more than {self.max_depth} lists or mappings inside "
                                   "each other")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        """The document's node, refused when it expands past ``max_values`` values."""
        node = super().get_single_node()
        check_node_size(node, self.max_values)
        return node


if getattr(yaml, "__with_libyaml__", False):
    class _BoundedCSafeLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """libyaml's safe loader (some ten times faster; nesting bounded by libyaml), bounded like
        :class:`BoundedSafeLoader` in the values it expands to."""

        def get_single_node(self) -> yaml.Node | None:
            """The document's node, refused when it expands past :data:`MAX_VALUES` values."""
            node = super().get_single_node()
            check_node_size(node, MAX_VALUES)
            return node

    _LOADER: type = _BoundedCSafeLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADER = BoundedSafeLoader


def load_text(text: str) -> Any:
    """Parse one YAML document (``yaml.safe_load``), bounded.

    Raises
    ------
    yaml.YAMLError
        Not valid YAML (with its line and column).
    YamlTooLarge
        Aliases expanding past :data:`MAX_VALUES` values, a value that holds itself, or
        nesting deeper than Python can follow.
    """
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except RecursionError:
        raise YamlTooLarge("too deeply nested: lists or mappings inside each other thousands of levels deep") from None


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The text of a YAML file no larger than ``max_bytes``.

    Raises
    ------
    YamlTooLarge
        The file is larger than ``max_bytes``.
    OSError
        The file cannot be read.
    """
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise YamlTooLarge(f"too large: the file is {size:,} bytes, more than the {max_bytes:,} a YAML file "
                           "of lifecircle may have")
    with open(path, encoding="utf-8") as fh:
        text = fh.read(max_bytes + 1)  # a file that grew since stat() is still bounded
    if len(text.encode("utf-8")) > max_bytes:
        raise YamlTooLarge(f"too large: the file is more than the {max_bytes:,} bytes a YAML file of lifecircle "
                           "may have")
    return text


def load_file(path: Path, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a YAML file, bounded in size (:func:`read_text`) and expansion (:func:`load_text`)."""
    return load_text(read_text(path, max_bytes))


def problem_text(exc: BaseException) -> str:
    """A one-paragraph description of a YAML error for a planner: line and column, never the value."""
    if isinstance(exc, YamlTooLarge):
        return f"under key {exc.where!r}: {exc}" if exc.where else str(exc)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = "; ".join(p for p in (exc.context, exc.problem) if p)
        return f"not valid YAML at {where}{what}"
    return f"not valid YAML: {exc}"
