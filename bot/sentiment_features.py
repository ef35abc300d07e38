"""What the sentiment model reads in a chat message: tokens and explicit cues.

Customer-service chat is short, so the cues that carry sentiment are spelled out
here instead of being left for n-grams to discover from a few hundred examples:

- negation: "不满意", "not happy", "没问题", "not bad" flip the valence of the
  sentiment word they govern, and the n-gram features see "¬满意", not "满意";
- intensifiers and softeners: "太/非常/特别/really/so" boost, "有点/a bit" soften;
- contrast: after "但是/不过/but" the clause counts more (VADER's rule);
- punctuation: "!!!", "???", "...", SHOUTING, sooo elongated words;
- emoji, emoticons and WeChat sticker codes ("😡", ":(", "[强]").

Valences come from a `Lexicon` (VADER's scale, -4 … +4) that the model carries,
so nothing is read from disk per message.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import jieba

from bot.language import detect_language

LABELS = ("negative", "neutral", "positive")

# Removed before anything else: emoji variation selectors, zero-width joiners,
# skin tones and gender signs turn one emoji into several code points.
_EMOJI_NOISE = re.compile("[\ufe0e\ufe0f\u200d\u2640\u2642\U0001f3fb-\U0001f3ff]")
# Chinese punctuation NFKC leaves alone, mapped to the ASCII the rules use.
_PUNCT_MAP = str.maketrans({"。": ".", "、": ",", "｡": ".", "“": "", "”": "", "‘": "'", "’": "'"})

_EMOJI_CHARS = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\u3030\u303d]"
_EMOJI = re.compile(_EMOJI_CHARS)
_TOKEN = re.compile(
    r"""
    (?P<sticker>\[[\u4e00-\u9fffa-z]{1,4}\])           # WeChat/QQ codes: [微笑] [强] [ok]
  | (?P<emoticon>:'\(|:-?[()dp]|\^_?\^|-_-|<3)(?![a-z])
  | (?P<url>https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+)
  | (?P<code>[a-z]*\d[a-z0-9_-]*)                          # numbers, order numbers, phones
  | (?P<word>[a-z]+(?:'[a-z]+)*)
  | (?P<cjk>[\u3400-\u9fff\uf900-\ufaff]+)
  | (?P<punct>[!?]+|\.{2,}|[,.;:~])
  | (?P<emoji>"""
    + _EMOJI_CHARS
    + ")",
    re.VERBOSE,
)
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+(?: [\u3400-\u9fff\uf900-\ufaff]+)*")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATORS_ZH = _words(
    "不 没 没有 别 未 无 非 不是 并不 并非 并没有 从不 从没 从未 毫无 不太 不怎么 不够 不算 "
    "一点也不 一点都不 根本不 根本没 绝不 决不 不再 没什么 不大"
)
NEGATORS_EN = _words(
    "not no never nothing none neither nor without hardly barely cannot cant dont doesnt "
    "didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt havent hasnt hadnt aint"
)
BOOSTERS = _words(
    "很 非常 太 特别 超 超级 十分 极 极其 极度 真 真的 真是 实在 相当 最 巨 贼 更 太过 "
    "如此 这么 那么 简直 完全 严重 特 挺 "
    "very really so too extremely super totally absolutely completely incredibly highly "
    "truly such most utterly seriously literally quite insanely way deeply"
)
SOFTENERS = _words(
    "有点 有些 稍微 稍 略 略微 有一点 还算 比较 slightly somewhat kinda sorta bit little fairly"
)
CONTRASTS = _words("但 但是 可是 不过 然而 只是 but however though yet although")
# Words that open a question; a "?" alone is ambiguous ("what???" is not a question).
QUESTION_ZH = re.compile(
    r"吗|怎么|什么时候|哪|几|多久|多少|是否|能否|能不能|可不可以|是不是|有没有|请问|呢$"
)
QUESTION_EN = _words(
    "how what where when which who whom whose can could do does did is are will would "
    "should may shall has have"
)
# Prefixes jieba often glues to a sentiment word ("不太好", "很差", "超好看").
_ZH_PREFIX_NEGATORS = (
    "一点都不",
    "一点也不",
    "根本不",
    "并不",
    "不太",
    "不是",
    "没有",
    "不",
    "没",
    "无",
    "未",
)
_ZH_PREFIX_BOOSTERS = (
    "非常",
    "特别",
    "超级",
    "十分",
    "真的",
    "太",
    "很",
    "超",
    "巨",
    "贼",
    "真",
    "最",
    "挺",
)
_ZH_SUFFIXES = ("了", "的", "啊", "呀", "啦", "吧", "死了", "透了", "极了")

NEGATION_SCALE = -0.74  # VADER's: "not good" is about three quarters as bad as "good" is good
BOOST_SCALE = 1.3
SOFTEN_SCALE = 0.7
LOOKBACK = 3  # units before a sentiment word that may negate or boost it


@dataclass(frozen=True)
class Lexicon:
    """Valence per normalised word, phrase or emoji (VADER's scale, -4 … +4)."""

    valences: Mapping[str, float]
    max_phrase_tokens: int = 3

    def get(self, key: str) -> float | None:
        return self.valences.get(key)


@dataclass(frozen=True)
class Cues:
    """The explicit signals of one message; `features()` turns them into model input."""

    tokens: tuple[str, ...]  # model tokens; "¬" marks a token inside a negation's scope
    positive: float  # sum of positive valences after negation/boost/contrast rules
    negative: float  # sum of negative valences, as a positive number
    compound: float  # VADER-style normalised score in (-1, 1), punctuation emphasis included
    emoji_positive: int
    emoji_negative: int
    exclamations: int
    exclamation_run: bool  # "!!" or more
    questions: int
    question_run: bool  # "??" or more
    question_words: bool
    shouting: bool  # at least one word of 2+ capitals in an otherwise mixed message
    elongated: bool  # "sooo", "pleeease"
    ellipsis: bool
    negations: int  # sentiment words governed by a negator
    boosters: int
    contrast: bool
    language: str | None


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII), emoji noise removed, Chinese punctuation mapped, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI_NOISE.sub("", text).translate(_PUNCT_MAP)
    return text.lower().replace("…", "...")


def lexicon_key(entry: str) -> str:
    """The form a lexicon entry is stored under, so it meets tokens half way."""
    return normalize(entry).strip()


def tokenize(text: str) -> list[str]:
    """Tokens of a message already passed through `normalize`.

    Chinese runs go to jieba (the process-wide dictionary, which the pipeline's
    tokenizer extends with shop words); English words keep negating contractions
    ("don't" -> "dont") and drop the others ("i'll" -> "i"); ids and long numbers
    collapse to "<id>" and short numbers to "<num>", so order numbers do not
    become vocabulary.
    """
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "cjk":
            tokens.extend(jieba.lcut(value, HMM=True))
        elif kind == "code":
            tokens.append("<num>" if value.isdigit() and len(value) <= 4 else "<id>")
        elif kind == "url":
            tokens.append("<url>")
        elif kind == "word":
            tokens.append(_word(_ELONGATED.sub(r"\1\1", value)))
        elif kind == "punct":
            tokens.append(_punct_token(value))
        else:
            tokens.append(value)
    return tokens


def _word(value: str) -> str:
    """'don't' -> 'dont' (a negator); "i'll", "it's" -> "i", "it" (not VADER's "ill")."""
    head, apostrophe, tail = value.partition("'")
    if not apostrophe:
        return value
    return head + tail if tail == "t" else head


def _punct_token(value: str) -> str:
    if value.startswith("."):
        return "..." if len(value) > 1 else "."
    if set(value) <= {"!", "?"} and len(value) > 1:
        # "!!!!!" and "!!!" mean the same; "?!" keeps both marks.
        return (
            "".join(sorted(set(value), reverse=True)) * 2 if len(set(value)) > 1 else value[0] * 3
        )
    return value


def _is_boundary(token: str) -> bool:
    return token in {",", ".", ";", ":", "!", "?", "~", "..."} or token[0] in "!?"


def _join(tokens: list[str]) -> str:
    return " ".join(tokens) if tokens[0].isascii() and tokens[0].isalpha() else "".join(tokens)


def _lookup(lexicon: Lexicon, token: str) -> tuple[float | None, float]:
    """Valence of a token, undoing prefixes jieba glued on: (valence, scale it already carries)."""
    value = lexicon.get(token)
    if value is not None or not "\u3400" <= token[0] <= "\u9fff" or len(token) < 2:
        return value, 1.0
    for suffix in _ZH_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            value, scale = _lookup(lexicon, token[: -len(suffix)])
            if value is not None:
                return value, scale
    for prefix in _ZH_PREFIX_NEGATORS:
        if token.startswith(prefix) and len(token) > len(prefix):
            value, scale = _lookup(lexicon, token[len(prefix) :])
            if value is not None:
                return value, scale * NEGATION_SCALE
    for prefix in _ZH_PREFIX_BOOSTERS:
        if token.startswith(prefix) and len(token) > len(prefix):
            value, scale = _lookup(lexicon, token[len(prefix) :])
            if value is not None:
                return value, scale * BOOST_SCALE
    return None, 1.0


def _units(tokens: list[str], lexicon: Lexicon) -> list[tuple[str, float | None, float]]:
    """Tokens merged into lexicon phrases ("fed up", "没问题"), longest match first."""
    units = []
    i = 0
    while i < len(tokens):
        for size in range(min(lexicon.max_phrase_tokens, len(tokens) - i), 1, -1):
            phrase = _join(tokens[i : i + size])
            value = lexicon.get(phrase)
            if value is not None:
                units.append((phrase, value, 1.0))
                i += size
                break
        else:
            value, scale = _lookup(lexicon, tokens[i])
            units.append((tokens[i], value, scale))
            i += 1
    return units


def analyse(text: str, lexicon: Lexicon) -> Cues:
    """All cues of one raw message (any language, any length)."""
    shouting = _shouting(text)
    language = detect_language(text)
    norm = normalize(text)
    units = _units(tokenize(norm), lexicon)

    contrast_at = max(
        (i for i, (unit, _, _) in enumerate(units) if unit in CONTRASTS), default=None
    )
    positive = negative = 0.0
    negations = boosters = 0
    emoji_positive = emoji_negative = 0
    model_tokens: list[str] = []
    negated_until = -1
    for i, (unit, value, scale) in enumerate(units):
        if unit in NEGATORS_ZH or unit in NEGATORS_EN:
            negated_until = i + LOOKBACK
        elif unit in BOOSTERS:
            boosters += 1
        in_scope = i <= negated_until and not _is_boundary(unit)
        if _is_boundary(unit):
            negated_until = -1
        model_tokens.append(
            f"¬{unit}" if in_scope and unit not in NEGATORS_EN | NEGATORS_ZH else unit
        )
        if value is None or value == 0:
            continue
        if _is_emoji(unit):
            if value > 0:
                emoji_positive += 1
            else:
                emoji_negative += 1
        else:
            context, negated = _context_scale(units, i)
            scale *= context
            negations += negated or scale < 0  # "不满" in one token negates too
            if contrast_at is not None:
                scale *= 1.5 if i > contrast_at else 0.5
        valence = value * scale
        if valence > 0:
            positive += valence
        else:
            negative -= valence

    exclamations = norm.count("!")
    questions = norm.count("?")
    total = positive - negative
    if total:
        # VADER: "!" adds emphasis in the direction the message already leans.
        total += math.copysign(min(exclamations, 4) * 0.292, total)
        if questions > 1:
            total += math.copysign(min(questions, 3) * 0.18, total)
    return Cues(
        tokens=tuple(model_tokens),
        positive=positive,
        negative=negative,
        compound=total / math.sqrt(total * total + 15),
        emoji_positive=emoji_positive,
        emoji_negative=emoji_negative,
        exclamations=exclamations,
        exclamation_run="!!" in norm or "!?" in norm or "?!" in norm,
        questions=questions,
        question_run="??" in norm,
        question_words=_has_question_words(norm, model_tokens),
        shouting=shouting,
        elongated=bool(_ELONGATED.search(unicodedata.normalize("NFKC", text).lower())),
        ellipsis="..." in norm,
        negations=negations,
        boosters=boosters,
        contrast=contrast_at is not None,
        language=language,
    )


def _context_scale(units: list[tuple[str, float | None, float]], i: int) -> tuple[float, bool]:
    """Negation, boosting and softening by the LOOKBACK units before unit i, within its clause.

    Returns the scale and whether a negator was among those units.
    """
    scale = 1.0
    negated = False
    for distance, j in enumerate(range(i - 1, max(i - 1 - LOOKBACK, -1), -1)):
        unit = units[j][0]
        if _is_boundary(unit):
            break
        if unit in NEGATORS_ZH or unit in NEGATORS_EN:
            scale *= NEGATION_SCALE
            negated = True
        elif unit in BOOSTERS:
            scale *= BOOST_SCALE - 0.05 * distance
        elif unit in SOFTENERS:
            scale *= SOFTEN_SCALE
    return scale, negated


def _is_emoji(unit: str) -> bool:
    """Emoji, emoticons and sticker codes; their valence is not negated or boosted."""
    return bool(_EMOJI.fullmatch(unit)) or unit.startswith(("[", ":", "^", "-_", "<3"))


def _shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isascii() and ch.isalpha()]
    caps = _CAPS_WORD.findall(text)
    # "WHERE IS MY ORDER" shouts; "SO10004821" and a lone "OK" or "DHL" do not.
    return len(letters) >= 6 and sum(len(w) for w in caps) >= 6


def _has_question_words(norm: str, tokens: list[str]) -> bool:
    if QUESTION_ZH.search(norm):
        return True
    words = [t for t in tokens if t.isascii() and t.isalpha()]
    return bool(words) and (
        words[0] in QUESTION_EN or ("?" in norm and bool(QUESTION_EN & set(words[:3])))
    )


def features(cues: Cues) -> dict[str, float]:
    """Model input: binary n-gram features and the cues as scaled numbers.

    Families: `w:` tokens, `b:` token bigrams with ^/$ ends, `c:` Chinese
    character 1–3-grams (robust to jieba's segmentation), `x:` cues.
    """
    feats: dict[str, float] = {}
    tokens = cues.tokens
    for token in tokens:
        feats[f"w:{token}"] = 1.0
    padded = ("^", *tokens, "$")
    for a, b in zip(padded, padded[1:], strict=False):
        feats[f"b:{a}|{b}"] = 1.0
    # Chinese character n-grams over each run of Chinese tokens, so they also
    # span jieba's token boundaries (where "不" meets "满意").
    for run in _CJK_RUN.findall(" ".join(t.lstrip("¬") for t in tokens)):
        chars = run.replace(" ", "")
        for n in (1, 2, 3):
            for k in range(len(chars) - n + 1):
                feats[f"c:{chars[k : k + n]}"] = 1.0

    feats.update(
        {
            "x:lex_pos": math.log1p(cues.positive),
            "x:lex_neg": math.log1p(cues.negative),
            "x:compound_pos": max(cues.compound, 0.0),
            "x:compound_neg": max(-cues.compound, 0.0),
            "x:emoji_pos": min(cues.emoji_positive, 3) / 3,
            "x:emoji_neg": min(cues.emoji_negative, 3) / 3,
            "x:exclaim": min(cues.exclamations, 3) / 3,
            "x:exclaim_run": float(cues.exclamation_run),
            "x:question": float(cues.questions > 0),
            "x:question_run": float(cues.question_run),
            "x:question_words": float(cues.question_words),
            "x:shouting": float(cues.shouting),
            "x:elongated": float(cues.elongated),
            "x:ellipsis": float(cues.ellipsis),
            "x:negation": min(cues.negations, 2) / 2,
            "x:booster": min(cues.boosters, 2) / 2,
            "x:contrast": float(cues.contrast),
            "x:mixed": float(cues.positive > 0.5 and cues.negative > 0.5),
            "x:length": min(math.log1p(len(tokens)) / math.log(64), 1.0),
            "x:zh": float(cues.language == "zh"),
            "x:en": float(cues.language == "en"),
        }
    )
    return {k: v for k, v in feats.items() if v}
