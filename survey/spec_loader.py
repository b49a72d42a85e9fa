"""Reading YAML that people write: the questionnaire and its keyword dictionary.

PyYAML's safe loader builds only plain data (no tags that make objects), but
it still accepts three things a specification must not contain, and this
module refuses them with a :class:`~survey.errors.SpecError` naming the file
and the line:

* **duplicate keys** in one mapping (a second ``scores:``, ``codes: {1: a,
  1: b}``, or twins such as ``01:``/``1:``/``1.0:``, which YAML reads as the
  same number): PyYAML keeps the last one silently, so half of what the author
  wrote would be ignored.  Keys brought in by a merge (``<<: *base``) may be
  overridden, as YAML intends;
* **alias bombs** ("billion laughs"): a few lines of anchors and aliases
  (``&a``/``*a``) that expand to billions of nodes when the data are walked.
  At most :data:`MAX_ALIASES` aliases, at most :data:`MAX_NODES` nodes once
  every alias is expanded, and no alias inside the node it names;
* **oversized files**: more than :data:`MAX_BYTES` bytes (a questionnaire is
  a few kilobytes; ``questionnaires/midori_2025.yaml`` is about 9 KB).
"""
from __future__ import annotations

import yaml

from survey.errors import SpecError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_NODES", "StrictSafeLoader", "load_yaml", "load_yaml_text"]

#: Largest specification file read (bytes).
MAX_BYTES = 1_000_000
#: Most aliases (``*name``) in one document.
MAX_ALIASES = 500
#: Most nodes (mappings, lists and scalars) once every alias is expanded.
MAX_NODES = 200_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A document the strict loader will not build (message for the user)."""


def _at(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _shown(node) -> str:
    """A key as written in the file (``01``, ``1.0``, ``scores``)."""
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value)
    return "a " + ("mapping" if isinstance(node, yaml.MappingNode) else "list")


class StrictSafeLoader(yaml.SafeLoader):
    """:class:`yaml.SafeLoader` that refuses duplicate keys and alias bombs.

    Use through :func:`load_yaml` / :func:`load_yaml_text`, which turn a
    refusal into a :class:`~survey.errors.SpecError`.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"the YAML uses more than {MAX_ALIASES} aliases (*name; the {MAX_ALIASES + 1}th at "
                               f"{_at(self.peek_event().start_mark)}); a questionnaire needs only a few -- "
                               "write the repeated parts out")
        return super().compose_node(parent, index)

    def compose_document(self):
        node = super().compose_document()
        _check_expansion(node)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                if first is not None:
                    same = "" if first.value == key_node.value else f" (YAML reads {_shown(first)} and " \
                                                                    f"{_shown(key_node)} as the same key)"
                    raise _Refused(f"duplicate key {_shown(key_node)} at {_at(key_node.start_mark)}, first at "
                                   f"{_at(first.start_mark)}{same}; YAML would keep only the last one silently -- "
                                   "remove or rename one of them")
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root) -> None:
    """Refuse a document that is larger than :data:`MAX_NODES` nodes once its
    aliases are expanded, or whose aliases point into themselves."""
    if root is None:
        return
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Refused(f"the list or mapping at {_at(node.start_mark)} holds an alias (*name) of itself (a "
                           "recursive structure); write the data out without it")
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            return 1
        open_nodes.add(key)
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise _Refused(f"the YAML expands to more than {MAX_NODES:,} values once its aliases (*name) are "
                               f"filled in (from {_at(node.start_mark)}): an alias bomb or a broken file; write "
                               "the repeated parts out")
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)


def load_yaml_text(text: str, *, path=None):
    """Build the data of one YAML document with :class:`StrictSafeLoader`.

    Raises
    ------
    SpecError
        Duplicate keys, an alias bomb, a recursive alias or a number too long
        to read (with the file and the line).
    yaml.YAMLError
        A syntax error (the caller words it).
    RecursionError
        Nesting too deep (the caller words it).
    """
    loader = StrictSafeLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise SpecError(str(exc), path=path) from None
    except ValueError as exc:  # an integer of more than 4,300 digits, a date such as 2025-13-45
        if isinstance(exc, yaml.YAMLError):
            raise
        reason = " ".join(str(exc).split(":")[0].split())[:120]
        raise SpecError(f"a value cannot be read ({reason}); fix it or put it in quotes", path=path) from None
    finally:
        loader.dispose()


def load_yaml(blob: bytes, *, path=None, what: str = "questionnaire"):
    """A YAML specification file's bytes as data (see the module notes).

    Size, encoding, duplicate keys, aliases and syntax errors become a
    :class:`~survey.errors.SpecError` naming ``path`` (and the line).
    """
    if len(blob) > MAX_BYTES:
        raise SpecError(f"the {what} file has {len(blob):,} bytes, more than the {MAX_BYTES:,} a specification may "
                        "have; check that this is the YAML file", path=path)
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"the {what} is not UTF-8 text; save it as UTF-8", path=path) from None
    try:
        return load_yaml_text(text, path=path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at {_at(mark)}" if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line
        raise SpecError(f"invalid YAML{where}: {problem}; fix the syntax", path=path) from None
    except RecursionError:
        raise SpecError("the YAML is nested too deeply to be a questionnaire; check the brackets", path=path) from None
