"""Sentences kept in YAML catalogues, not in code (issue 17 §3).

Each layer that writes prose owns one catalogue beside its code: the intake's
validation messages (``survey/intake/messages.yaml``), the measures' wording
(``survey/measures/wording.yaml``), the report's methods paragraphs, notes,
captions and verdicts (``survey/report/templates/prose_ja.yaml`` and
``sections_ja.yaml``) and the command's usage errors (``survey/cli_ja.yaml``).  A catalogue
is a nested mapping; its sentences are addressed by dotted keys
(``rules.invalid_code.message_ja``).  A value is one string or a list of
fragments joined without a separator (Japanese has no spaces between
sentences), with ``str.format`` fields (``{header}``, ``{n:,}``).

A :class:`Catalogue` reads its file once, on first use.  A missing key or
field is a programming error of the caller (``KeyError``), which
``tests/test_prose_catalogues.py`` catches for every key the code names.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

__all__ = ["Catalogue", "CatalogueSection"]


@lru_cache(maxsize=None)
def _read(package: str, files_: tuple[str, ...]) -> dict[str, str]:
    from survey.spec_loader import load_yaml   # PyYAML only when a sentence is first needed (survey --help)

    out: dict[str, str] = {}
    origin: dict[str, str] = {}

    def walk(prefix: str, node, source: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(f"{name}.", value, source)
                continue
            if name in out:  # a programming error: two files of one catalogue give one key
                raise KeyError(f"sentence {name!r} is in both {origin[name]} and {source}")
            out[name] = "".join(str(v) for v in value) if isinstance(value, list) else str(value)
            origin[name] = source

    for file in files_:
        resource = files(package).joinpath(*file.split("/"))
        data = load_yaml(resource.read_bytes(), path=str(resource), what="prose catalogue")
        walk("", data, file)
    return out


def _near(key: str, entries) -> str:
    """The known keys under the longest part of ``key`` the catalogue has (at most a dozen)."""
    parts = key.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:depth]) + "."
        near = sorted(k for k in entries if k.startswith(prefix))
        if near:
            break
    else:
        prefix, near = "", sorted({k.split(".")[0] for k in entries})
    more = f" … ({len(near) - 12} more)" if len(near) > 12 else ""
    return f"known{f' under {prefix!r}' if prefix else ''}: {', '.join(near[:12])}{more}"


@dataclass(frozen=True)
class Catalogue:
    """The sentences of the YAML ``files`` of ``package`` (paths inside the package, ``/``-separated),
    one namespace of dotted keys over them all (a key given by two files is an error).

    >>> from survey.intake.messages import MESSAGES
    >>> MESSAGES.template("rules.not_a_number.message_en")
    "'{value}' in '{header}' is not a number; enter digits only."
    >>> MESSAGES("rules.not_a_number.message_en", value="x", header="問4 居住年数")
    "'x' in '問4 居住年数' is not a number; enter digits only."
    """

    package: str
    files: tuple[str, ...]

    @property
    def name(self) -> str:
        """The catalogue's file names (``prose_ja.yaml, sections_ja.yaml``)."""
        return ", ".join(f.rsplit("/", 1)[-1] for f in self.files)

    def entries(self) -> dict[str, str]:
        """Every sentence by its dotted key (fragments joined, fields not filled)."""
        return _read(self.package, self.files)

    def template(self, key: str, /) -> str:
        """The sentence ``key`` with its ``{fields}`` left to fill."""
        entries = self.entries()
        if key not in entries:
            raise KeyError(f"no sentence {key!r} in {self.name}; {_near(key, entries)}")
        return entries[key]

    def __call__(self, key: str, /, **fields) -> str:
        """The sentence ``key`` with ``fields`` filled in (``str.format``)."""
        return self.template(key).format(**fields)

    def mapping(self, prefix: str, /) -> CatalogueSection:
        """The sentences under ``prefix`` by their last key, in the file's order, read when first
        used (a module-level table such as :data:`survey.report.ledger.LEDGER_LABELS`)."""
        return CatalogueSection(self, prefix)


class CatalogueSection(Mapping):
    """A read-only ``{key: sentence}`` view of the keys ``<prefix>.<key>`` of a catalogue; a key
    with keys below it maps to the section of those (``VERDICTS["higher"]["ja"]``)."""

    def __init__(self, catalogue: Catalogue, prefix: str):
        self._catalogue = catalogue
        self._prefix = f"{prefix}."
        self._cache: dict[str, str] | None = None

    def _items(self) -> dict:
        if self._cache is None:
            n, out = len(self._prefix), {}
            for key, value in self._catalogue.entries().items():
                if key.startswith(self._prefix):
                    head, deeper, _ = key[n:].partition(".")
                    out[head] = CatalogueSection(self._catalogue, self._prefix + head) if deeper else value
            self._cache = out
        return self._cache

    def __getitem__(self, key: str):
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr({k: v if isinstance(v, str) else dict(v) for k, v in self._items().items()})
