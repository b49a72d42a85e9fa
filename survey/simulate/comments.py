"""Free-text comments (自由意見) for the simulated deliveries.

A handful of plausible sentences; a respondent who writes a comment gets one
or two of them.  Some contain a wave dash 〜 or a fullwidth tilde ～ (both
become ～ U+FF5E once written in CP932), one contains a line break.  Phone
numbers and e-mail addresses are *not* here: they are injected as
``personal_info`` defects (fictitious: 090-0000-xxxx, @example.jp) so masking
can be tested against a known list.
"""
from __future__ import annotations

import numpy as np

__all__ = ["COMMENT_RATE", "COMMENT_SENTENCES", "EMAIL_PATTERN", "PHONE_PATTERN", "draw_comments", "personal_info_text"]

COMMENT_RATE = 0.18

COMMENT_SENTENCES = (
    "黒目川沿いの遊歩道をもっと歩きやすくしてほしい。",
    "朝霞の森のような広い芝生の公園が近所にも欲しいです。",
    "街路樹の落ち葉の清掃が追いついていないと感じます。",
    "子どもを安心して遊ばせられる公園を増やしてください。",
    "夏は日陰が少なく、公園にベンチや木陰があると助かります。",
    "基地跡地のみどりを市民が使える形で残してほしい。",
    "市民農園の抽選になかなか当たりません。区画を増やしてほしいです。",
    "斜面林は朝霞の大切な財産だと思います。保全をお願いします。",
    "歩道が狭く、駅～市役所の間は木の根で段差があり危ないです。",
    "春〜秋は草が伸び放題の公園があり、手入れをお願いしたい。",
    "災害時に避難できる広場としても公園を整備してほしい。",
    "ボール遊びができる公園が少ないです。",
    "トイレがきれいな公園が増えるとうれしいです。",
    "新河岸川の土手の桜並木が好きです。これからも大切にしてください。",
    "高齢になり遠くの公園へは行けません。身近な小さな公園の充実を望みます。",
    "生き物観察会などのイベントがあれば子どもと参加したいです。",
    "住宅地の緑が年々減っているように感じます。",
    "花壇づくりのボランティアに関心がありますが、情報が届きません。",
    "夜の公園が暗く、照明を増やしてほしい。",
    "特にありません。",
    "アンケートの設問が多く、答えるのに時間がかかりました。",
    "緑は大事ですが、まずは防犯や交通安全を優先してほしい。",
    "①歩道の緑化 ②公園の遊具の更新、の２点を希望します。",
    "川沿いにジョギングコースがあるとうれしいです～",
    "みどりが多く住みやすい街だと思います。\n今後もこの環境を守ってください。",
)


def draw_comments(rng: np.random.Generator, n: int, *, rate: float = COMMENT_RATE) -> np.ndarray:
    """``n`` comments ('' for none): one sentence, or two joined by a space."""
    sentences = np.asarray(COMMENT_SENTENCES, dtype=object)
    writes = rng.random(n) < rate
    first = rng.integers(0, len(sentences), size=n)
    second = rng.integers(0, len(sentences), size=n)
    two = (rng.random(n) < 0.25) & (second != first)
    text = np.where(writes, sentences[first], "")
    joined = np.char.add(np.char.add(sentences[first].astype(str), "　"), sentences[second].astype(str))
    return np.where(writes & two, joined.astype(object), text).astype(object)


PHONE_PATTERN = r"090-0000-\d{4}"
EMAIL_PATTERN = r"[a-z0-9.]+@example\.jp"


def personal_info_text(rng: np.random.Generator, *, form: str = "phone") -> str:
    """A fictitious phone number (``form="phone"``) or e-mail address
    (``form="email"``) as a respondent would write it."""
    if form == "phone":
        return f"連絡先 090-0000-{int(rng.integers(1000, 10000)):04d} までご連絡ください。"
    user = ("midori", "asaka.taro", "hanako2025")[int(rng.integers(0, 3))]
    return f"ご返答は {user}@example.jp へお願いします。"
