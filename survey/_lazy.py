"""Public names imported on first use (PEP 562), for the package ``__init__`` files.

A package lists its public names in a table, module → names that module
defines, and gets the module-level ``__getattr__`` and ``__dir__`` that PEP 562
looks up, and its ``__all__``::

    __getattr__, __dir__, __all__ = lazy_attributes(__name__, {
        "survey.errors": ("SurveyError", "InputError"),
        "survey.design": ("Design",),
    }, submodules=("design",))

``import survey`` then loads nothing but the table: ``survey.Design`` imports
``survey.design`` on first use and keeps the value, so the next look-up is a
plain attribute. ``from survey import X``, ``from survey import *`` and
``dir(survey)`` work as with eager imports. The ``survey`` command starts
without pandas, scipy, scikit-learn or matplotlib (``tests/test_lazy_import.py``).

A package that gathers its sub-packages' names (``survey.measures``) reuses their
tables with :func:`merge_tables` instead of repeating them.

A name must not be a submodule of the package as well (``survey.planning.inputs``
is a module and a function): importing the module binds it on the package, which
then hides the name from ``__getattr__``. Such a name is imported eagerly by its
package (see ``survey/measures/__init__.py``).
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_attributes", "merge_tables"]


def lazy_attributes(package: str, table: Mapping[str, Iterable[str]], *,
                    submodules: Iterable[str] = ()) -> tuple[Callable, Callable, list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` of ``package``.

    ``table`` maps a module's dotted name to the public names taken from it;
    ``submodules`` are the package's modules reachable as attributes without an
    import statement (``survey.report.outdir`` after ``import survey``), as they
    were when the package imported them eagerly. They are not in ``__all__``.
    """
    source: dict[str, str] = {}
    for module, names in table.items():
        for name in names:
            if name in source:   # a programming error in the table, met when the package is imported
                raise ImportError(f"{package}: {name!r} is listed under {source[name]!r} and {module!r}")
            source[name] = module
    modules = frozenset(submodules)

    def __getattr__(name: str):
        if name in source:
            value = getattr(importlib.import_module(source[name]), name)
        elif name in modules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | source.keys() | modules)

    return __getattr__, __dir__, list(source)


def merge_tables(*tables: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """One table from several: each module's names in the order first met, once each.

    >>> merge_tables({"a": ("x",), "b": ("y",)}, {"b": ("y", "z")})
    {'a': ('x',), 'b': ('y', 'z')}
    """
    merged: dict[str, list[str]] = {}
    for table in tables:
        for module, names in table.items():
            seen = merged.setdefault(module, [])
            seen.extend(name for name in names if name not in seen)
    return {module: tuple(names) for module, names in merged.items()}
