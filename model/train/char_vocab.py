"""The character vocabulary of a CTC model: building it from text and encoding text with it.

Index 0 is the CTC blank (``<pad>``), 1 is ``<unk>``, and the word delimiter ``|`` stands for
a space, the layout ``Wav2Vec2CTCTokenizer`` reads from ``vocab.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PAD = "<pad>"
UNK = "<unk>"
WORD_DELIMITER = "|"
SPECIALS: tuple[str, ...] = (PAD, UNK)


@dataclass(frozen=True)
class EncodedText:
    """Label ids of one transcript and how many of its characters the vocabulary lacked."""

    ids: tuple[int, ...]
    dropped: int


@dataclass(frozen=True)
class CharVocab:
    """A character-to-id mapping (``tokens[i]`` has id ``i``).

    Attributes:
        tokens: every token in id order; ``|`` is the word delimiter.
        case_fold: map lower-case text onto an upper-case vocabulary (pretrained English
            wav2vec2 checkpoints spell their vocabulary in capitals).
    """

    tokens: tuple[str, ...]
    case_fold: bool = False

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharVocab:
        """The sorted characters of `texts` (space becomes ``|``) after the special tokens."""
        chars: set[str] = set()
        for text in texts:
            chars.update(text)
        chars.discard(" ")
        chars -= set(WORD_DELIMITER)
        return cls((*SPECIALS, WORD_DELIMITER, *sorted(chars)))

    @classmethod
    def from_mapping(cls, vocab: Mapping[str, int]) -> CharVocab:
        """A vocabulary from a tokenizer's ``vocab.json`` mapping (ids must be 0..n-1)."""
        ordered = sorted(vocab.items(), key=lambda item: item[1])
        tokens = tuple(token for token, _ in ordered)
        if [index for _, index in ordered] != list(range(len(tokens))):
            raise ValueError("vocabulary ids must run from 0 without gaps")
        letters = [t for t in tokens if len(t) == 1 and t.isalpha()]
        case_fold = bool(letters) and all(t.isupper() for t in letters)
        return cls(tokens, case_fold)

    @property
    def pad_id(self) -> int:
        """Id of the CTC blank."""
        return self.tokens.index(PAD) if PAD in self.tokens else 0

    def to_mapping(self) -> dict[str, int]:
        """``{token: id}``, as written to ``vocab.json``."""
        return {token: index for index, token in enumerate(self.tokens)}

    def encode(self, text: str) -> EncodedText:
        """Label ids of `text`: spaces become ``|``; characters not in the vocabulary are
        dropped and counted (runs of spaces collapse to one delimiter)."""
        lookup = self.to_mapping()
        ids: list[int] = []
        dropped = 0
        delimiter = lookup.get(WORD_DELIMITER)
        for char in " ".join(text.split()):
            if char == " ":
                if delimiter is not None and ids and ids[-1] != delimiter:
                    ids.append(delimiter)
                continue
            key = char.upper() if self.case_fold else char
            index = lookup.get(key)
            if index is None or key in SPECIALS:
                dropped += 1
            else:
                ids.append(index)
        while ids and ids[-1] == delimiter:
            ids.pop()
        return EncodedText(tuple(ids), dropped)
