"""Free-text answers (自由意見) for the simulated deliveries.

The model file gives a text question a handful of plausible sentences
(``reporting: {question: {rate, two, sentences}}``); a respondent who writes
gets one or two of them.  The bundled ones include a wave dash 〜 and a
fullwidth tilde ～ (both become ～ U+FF5E once written in CP932) and a line
break.  Phone numbers and e-mail addresses are *not* among them: they are
injected as ``personal_info`` defects (fictitious: 090-0000-xxxx, @example.jp)
so masking can be tested against a known list.
"""
from __future__ import annotations

import numpy as np

__all__ = ["EMAIL_PATTERN", "PHONE_PATTERN", "draw_comments", "personal_info_text", "text_answers"]


def draw_comments(rng: np.random.Generator, n: int, sentences, *, rate: float, two: float = 0.25,
                  joiner: str = "　") -> np.ndarray:
    """``n`` comments ('' for none): one of ``sentences`` with probability
    ``rate``; a share ``two`` of the writers add a second one after ``joiner``."""
    sentences = np.asarray(list(sentences), dtype=object)
    writes = rng.random(n) < rate
    first = rng.integers(0, len(sentences), size=n)
    second = rng.integers(0, len(sentences), size=n)
    both = (rng.random(n) < two) & (second != first)
    text = np.where(writes, sentences[first], "")
    joined = np.char.add(np.char.add(sentences[first].astype(str), joiner), sentences[second].astype(str))
    return np.where(writes & both, joined.astype(object), text).astype(object)


def text_answers(model, rng: np.random.Generator, n: int) -> dict:
    """The free-text answers of ``n`` respondents, per text question of the model."""
    return {t.question: draw_comments(rng, n, t.sentences, rate=t.rate, two=t.two, joiner=t.joiner)
            for t in model.text}


PHONE_PATTERN = r"090-0000-\d{4}"
EMAIL_PATTERN = r"[a-z0-9.]+@example\.jp"


def personal_info_text(rng: np.random.Generator, *, form: str = "phone") -> str:
    """A fictitious phone number (``form="phone"``) or e-mail address
    (``form="email"``) as a respondent would write it."""
    if form == "phone":
        return f"連絡先 090-0000-{int(rng.integers(1000, 10000)):04d} までご連絡ください。"
    user = ("midori", "asaka.taro", "hanako2025")[int(rng.integers(0, 3))]
    return f"ご返答は {user}@example.jp へお願いします。"
