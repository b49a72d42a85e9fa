"""Free text (自由記述): words, characteristic words, co-occurrence and theme shares.

:mod:`~survey.measures.freetext.analyse` runs the analysis from
``tokens`` (janome), ``themes`` (the keyword dictionary) and ``stats`` (weighted
word statistics). Each name is imported on first use (PEP 562,
:mod:`survey._lazy`), so a caller of the themes does not load janome.
"""
from survey._lazy import lazy_attributes

#: module -> the public names it defines (survey/measures/__init__.py reuses this table)
_LAZY = {
    "survey.measures.freetext.analyse": ("analyse_freetext", "FreeTextTables"),
    "survey.measures.freetext.themes": (
        "load_keywords", "ThemeDictionary", "code_themes", "theme_shares", "representative_quotes",
    ),
    "survey.measures.freetext.tokens": ("tokenize", "tokenize_series"),
    "survey.measures.freetext.stats": ("word_frequencies", "weighted_log_odds", "cooccurrence"),
}

__getattr__, __dir__, __all__ = lazy_attributes(__name__, _LAZY)
