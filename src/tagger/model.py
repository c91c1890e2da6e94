"""``Tagger``: a multi-label paragraph tagger; trains with scikit-learn, serves with numpy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tagger.errors import DataError, UsageError
from tagger.features import FeatureSpec, analyze, identity
from tagger.fingerprint import training_fingerprint
from tagger.metrics import indicator, scores_table, tune_cut
from tagger.serving import LinearModel, scoring_units

if TYPE_CHECKING:
    from tagger.explain import Explanation
    from tagger.labels import LabelSchema
    from tagger.notebook import TaggedResults
    from tagger.page import Page

_PARAMS = (
    "word_ngram_range",
    "char_ngram_range",
    "min_df",
    "sublinear_tf",
    "C",
    "class_weight",
    "pooling",
    "cv",
    "cv_repeats",
    "random_state",
)


def check_texts(texts: object, name: str = "texts") -> list[str]:
    """Accept a sequence of strings; refuse a lone string or anything else with a clear message."""
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise UsageError(
            f"{name}: expected a list of strings, found {type(texts).__name__}; "
            "wrap a single paragraph in a list: tagger.predict([text])"
        )
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise UsageError(f"{name}[{i}]: expected a string, found {type(text).__name__}")
    return texts


class Tagger:
    """Tags paragraphs with zero, one or several labels.

    One logistic regression per label on TF-IDF of jieba word n-grams and character n-grams;
    per-label thresholds are tuned on out-of-fold scores to maximise that label's F1. A
    paragraph scores as its highest-scoring unit: with ``pooling="passages"`` (the default)
    every run of two or three consecutive clauses (``tagger.text.split_passages``), with
    ``"sentences"`` every sentence, with ``None`` the whole paragraph. A paragraph reports a
    measure when any passage of it does, and one clause about a highway checkpoint inside a
    long bulletin would otherwise be drowned by the rest. It follows
    scikit-learn's estimator contract (``get_params``, ``set_params``, ``clone``) without
    importing scikit-learn until ``fit``.

    >>> tagger = Tagger(cv=2).fit(["村口设卡点值守", "小区开展核酸检测", "村口卡点查验健康码",
    ...                            "居民排队核酸采样"], [["checkpoint_duty"],
    ...                            ["nucleic_acid_testing"], ["checkpoint_duty"],
    ...                            ["nucleic_acid_testing"]])
    >>> tagger.labels_
    ['checkpoint_duty', 'nucleic_acid_testing']
    """

    # Learned in fit (or read by tagger.load); absent until then, as scikit-learn expects.
    labels_: list[str]
    label_names_: dict[str, str]
    vocabulary_: dict[str, int]
    idf_: NDArray[np.float64]
    coef_: NDArray[np.float64]
    intercept_: NDArray[np.float64]
    thresholds_: NDArray[np.float64]
    unit_slopes_: NDArray[np.float64]
    cv_metrics_: dict[str, Any]
    n_training_texts_: int
    training_hashes_: NDArray[np.uint64]  # see tagger.fingerprint; absent in older models
    vectorizer_: Any
    estimators_: list[Any]
    manifest_: dict[str, Any]

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (1, 3),
        min_df: int = 2,
        sublinear_tf: bool = True,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        pooling: str | None = "passages",
        cv: int | None = 5,
        cv_repeats: int = 3,
        random_state: int = 0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.class_weight = class_weight
        self.pooling = pooling
        self.cv = cv
        self.cv_repeats = cv_repeats
        self.random_state = random_state

    # -- the scikit-learn estimator contract ------------------------------------------------

    # Read by scikit-learn before 1.6; later versions read __sklearn_tags__.
    _estimator_type = "classifier"

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> Tagger:
        for name in params:
            if name not in _PARAMS:
                raise UsageError(
                    f"unknown parameter {name!r}; expected one of {', '.join(_PARAMS)}"
                )
        _validate_params({**self.get_params(), **params})
        for name, value in params.items():
            setattr(self, name, value)
        # The serving arrays carry the pooling; a fitted model must not keep scoring the old way.
        self.__dict__.pop("_linear_model", None)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True, multi_output=True, single_output=False),
            classifier_tags=ClassifierTags(multi_class=True, multi_label=True),
            input_tags=InputTags(one_d_array=True, two_d_array=False, string=True),
        )

    @property
    def classes_(self) -> NDArray[np.str_]:
        """The label ids, in the column order of ``predict_proba`` (scikit-learn's name)."""
        self._check_fitted()
        return np.array(self.labels_)

    def score(self, texts: Sequence[str], label_lists: Sequence[Sequence[str]]) -> float:
        """Exact-set accuracy: the share of texts whose predicted label set is the gold one.

        This is scikit-learn's ``score`` for multi-label classifiers; per-label and macro
        figures come from ``tagger.evaluate``.
        """
        gold = self._check_label_lists(label_lists, len(check_texts(texts)))
        predicted = self.predict(texts)
        if not predicted:
            return 0.0
        return sum(set(p) == set(g) for p, g in zip(predicted, gold, strict=True)) / len(gold)

    def __repr__(self) -> str:
        defaults = Tagger().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"Tagger({', '.join(changed)})"

    @property
    def feature_spec(self) -> FeatureSpec:
        return FeatureSpec(
            tuple(self.word_ngram_range) if self.word_ngram_range else None,  # type: ignore[arg-type]
            tuple(self.char_ngram_range) if self.char_ngram_range else None,  # type: ignore[arg-type]
        )

    # -- training ---------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        label_lists: Sequence[Sequence[str]],
        *,
        labels: Sequence[str] | LabelSchema | None = None,
    ) -> Tagger:
        """Learn ``labels_``, the TF-IDF vocabulary, one classifier per label and thresholds.

        ``labels`` fixes the label order (a schema or a list of ids); by default it is the sorted
        set of labels found in ``label_lists``. Every label needs at least ``cv`` positive and
        ``cv`` negative paragraphs, because its threshold is tuned by ``cv``-fold cross-validation.
        With ``cv=None`` nothing is cross-validated and every threshold is 0.5.
        """
        _validate_params(self.get_params())
        texts = check_texts(texts)
        label_lists = self._check_label_lists(label_lists, len(texts))
        label_ids, names = self._resolve_labels(labels, label_lists)
        gold = indicator(label_lists, label_ids)
        self._check_counts(gold, label_ids)

        documents = [analyze(text, self.feature_spec) for text in texts]
        fitted, self.vectorizer_, self.estimators_ = self._fit_linear(documents, gold)

        self.labels_ = list(label_ids)
        self.label_names_ = names
        self.vocabulary_, self.idf_ = fitted.vocabulary, fitted.idf
        self.coef_, self.intercept_ = fitted.coef, fitted.intercept
        self.thresholds_ = np.full(len(label_ids), 0.5)
        self.unit_slopes_ = np.zeros(len(label_ids))
        self.cv_metrics_ = {}
        if self.cv is not None:
            units = [scoring_units(text, self.pooling) for text in texts]
            # Every repeat's out-of-fold scores together: a cut tuned on one fold assignment
            # moved real-news macro-F1 by up to 0.03 between random_state values.
            scores = self._out_of_fold_scores(units, documents, gold)
            repeated = np.tile(gold, (self.cv_repeats, 1))
            log_units = np.tile(np.log([len(parts) for parts in units]), self.cv_repeats)
            tuned = [
                tune_cut(repeated[:, j], scores[:, j], log_units) for j in range(len(label_ids))
            ]
            self.unit_slopes_ = np.array([slope for slope, _ in tuned])
            self.thresholds_ = np.array([cut for _, cut in tuned])
            probabilities = _sigmoid(scores - np.outer(log_units, self.unit_slopes_))
            self.cv_metrics_ = scores_table(
                repeated, probabilities >= self.thresholds_, self.labels_
            )
        self.n_training_texts_ = len(texts)
        self.training_hashes_ = training_fingerprint(texts)
        return self

    def _out_of_fold_scores(
        self, units: list[list[str]], documents: list[list[str]], gold: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Each paragraph's best unit scored by a model that did not see it, once per repeat.

        ``units`` are each paragraph's scoring units. The repeats' pooled decision values are
        stacked: shape (cv_repeats * paragraphs, labels).
        """
        from threadpoolctl import threadpool_limits

        from tagger.crossval import out_of_fold_scores

        assert self.cv is not None
        unit_texts = [unit for parts in units for unit in parts]
        owner = [i for i, parts in enumerate(units) for _ in parts]

        def fit(matrix: Any, labels: NDArray[np.bool_]) -> tuple[NDArray[Any], NDArray[Any]]:
            estimators = self._fit_estimators(matrix, labels)
            return (
                np.vstack([e.coef_[0] for e in estimators]),
                np.array([e.intercept_[0] for e in estimators]),
            )

        with threadpool_limits(limits=1):
            return out_of_fold_scores(
                documents,
                [analyze(unit, self.feature_spec) for unit in unit_texts],
                np.array(owner, dtype=np.int64),
                gold,
                fit=fit,
                n_folds=self.cv,
                seeds=[(self.random_state, repeat) for repeat in range(self.cv_repeats)],
                min_df=self.min_df,
                sublinear_tf=self.sublinear_tf,
            )

    def _fit_estimators(self, matrix: Any, gold: NDArray[np.bool_]) -> list[Any]:
        """One logistic regression per label column of ``gold``."""
        from sklearn.linear_model import LogisticRegression

        return [
            LogisticRegression(
                C=self.C,
                class_weight=self.class_weight,
                solver="liblinear",
                random_state=self.random_state,
            ).fit(matrix, gold[:, j])
            for j in range(gold.shape[1])
        ]

    def _fit_linear(
        self, documents: list[list[str]], gold: NDArray[np.bool_]
    ) -> tuple[LinearModel, Any, list[Any]]:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from threadpoolctl import threadpool_limits

        vectorizer = TfidfVectorizer(
            analyzer=identity, lowercase=False, min_df=self.min_df, sublinear_tf=self.sublinear_tf
        )
        # One BLAS thread: liblinear gains nothing from more, and two threads here were slower.
        with threadpool_limits(limits=1):
            matrix = vectorizer.fit_transform(documents)
            estimators = self._fit_estimators(matrix, gold)
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_  # terms cut by min_df: large, and never needed again
        linear = LinearModel(
            vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
            idf=vectorizer.idf_.astype(np.float64),
            coef=np.vstack([e.coef_[0] for e in estimators]).astype(np.float64),
            intercept=np.array([e.intercept_[0] for e in estimators], dtype=np.float64),
            spec=self.feature_spec,
            sublinear_tf=self.sublinear_tf,
            pooling=self.pooling,
        )
        return linear, vectorizer, estimators

    @staticmethod
    def _check_label_lists(label_lists: object, n_texts: int) -> list[list[str]]:
        if isinstance(label_lists, str | bytes) or not isinstance(label_lists, Iterable):
            raise UsageError("label_lists: expected one list of label ids per text")
        checked = []
        for i, item in enumerate(label_lists):
            if isinstance(item, str) or not isinstance(item, Iterable):
                raise UsageError(f"label_lists[{i}]: expected a list of label ids, found {item!r}")
            item = list(item)
            if not all(isinstance(label, str) for label in item):
                raise UsageError(f"label_lists[{i}]: label ids must be strings, found {item!r}")
            checked.append(item)
        if len(checked) != n_texts:
            raise UsageError(
                f"expected one label list per text: {n_texts} texts, {len(checked)} label lists"
            )
        return checked

    @staticmethod
    def _resolve_labels(
        labels: Sequence[str] | LabelSchema | None, label_lists: list[list[str]]
    ) -> tuple[list[str], dict[str, str]]:
        seen = sorted({label for item in label_lists for label in item})
        if labels is None:
            return seen, {}
        ids = list(getattr(labels, "ids", labels))
        names = {lb.id: lb.name for lb in getattr(labels, "labels", ())}
        unknown = sorted(set(seen) - set(ids))
        if unknown:
            raise DataError([f"labels {unknown} are not in the label set {ids}"])
        return ids, names

    def _check_counts(self, gold: NDArray[np.bool_], label_ids: list[str]) -> None:
        needed = self.cv or 1
        why = (
            f"tuning its threshold by {self.cv}-fold cross-validation needs at least {needed} of "
            "each: label more paragraphs or lower cv"
            if self.cv
            else "a classifier needs at least one of each: label more paragraphs"
        )
        problems = []
        for j, label in enumerate(label_ids):
            positives = int(gold[:, j].sum())
            negatives = len(gold) - positives
            if min(positives, negatives) < needed:
                problems.append(
                    f"label {label!r} has {positives} positive and {negatives} negative "
                    f"paragraphs; {why}"
                )
        if problems:
            raise DataError(problems)

    # -- tagging (numpy only) ---------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise UsageError("this Tagger is not trained yet: call fit() or use tagger.load()")

    def decision_function(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Raw linear scores, shape (len(texts), len(labels_))."""
        self._check_fitted()
        return self._linear().scores(check_texts(texts))

    def _linear(self) -> LinearModel:
        """The serving arrays, built once from the learned attributes and kept."""
        linear: LinearModel | None = self.__dict__.get("_linear_model")
        if linear is None or linear.coef is not self.coef_:
            compiled = self.__dict__.get("_compiled_vocabulary")  # set by tagger.load
            linear = LinearModel(
                {} if compiled is not None else self.vocabulary_,
                self.idf_,
                self.coef_,
                self.intercept_,
                self.feature_spec,
                self.sublinear_tf,
                self.pooling,
                self.__dict__.get("unit_slopes_"),
                compiled,
            )
            self.__dict__["_linear_model"] = linear
        return linear

    def __getattr__(self, name: str) -> Any:
        # A loaded model reads its feature names only when someone asks (explain, inspection):
        # tagging needs just the compiled arrays, and parsing the names costs start-up time.
        if name == "vocabulary_" and "_vocabulary_loader" in self.__dict__:
            self.vocabulary_ = self.__dict__.pop("_vocabulary_loader")()
            return self.vocabulary_
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_linear_model", None)  # a cache, rebuilt on demand; not worth pickling
        state.pop("_vocabulary_loader", None)
        return state

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probabilities, shape (len(texts), len(labels_)); columns follow ``labels_``."""
        return _sigmoid(self.decision_function(texts))

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """One list of label ids per text (often empty), using the tuned thresholds."""
        decided = self.predict_proba(texts) >= self.thresholds_
        return [[lb for lb, on in zip(self.labels_, row, strict=True) if on] for row in decided]

    def explain(self, text: str, top: int | None = None) -> Explanation:
        """Why each label scored as it did: exact feature contributions, see ``tagger.explain``."""
        from tagger.explain import explain

        return explain(self, text, top=top)

    def tag_page(self, page: Page | str, *, all_blocks: bool = False) -> TaggedResults:
        """Tag every body paragraph and caption of a page (a ``Page`` or its text).

        The result is a list of ``TaggedBlock``; Jupyter shows it as a table with label chips,
        and ``.to_pandas()`` makes it a DataFrame.
        """
        from tagger.notebook import TaggedResults
        from tagger.tagging import tag_page

        records = tag_page(self, page, all_blocks=all_blocks)
        return TaggedResults(records, self.labels_, getattr(self, "label_names_", {}))

    def save(self, directory: str, **metadata: Any) -> None:
        """Write a model directory atomically (see ``tagger.store.save``)."""
        from tagger.store import save

        save(self, directory, **metadata)


POOLINGS = ("passages", "sentences", None)
CLASS_WEIGHTS = ("balanced", None)


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_range(name: str, value: object) -> str | None:
    if value is None:
        return None
    if (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(_whole(v) for v in value)
        and 1 <= value[0] <= value[1]
    ):
        return None
    return f"{name}: expected None or a pair (low, high) with 1 <= low <= high, found {value!r}"


def _validate_params(params: dict[str, Any]) -> None:
    """The one place parameter values are checked: at ``fit`` and at ``set_params``."""
    problems = [
        _check_range("word_ngram_range", params["word_ngram_range"]),
        _check_range("char_ngram_range", params["char_ngram_range"]),
    ]
    if params["word_ngram_range"] is None and params["char_ngram_range"] is None:
        problems.append("word_ngram_range and char_ngram_range: at least one must be set")
    checks: list[tuple[str, bool, str]] = [
        ("min_df", _whole(params["min_df"]) and params["min_df"] >= 1, "a whole number >= 1"),
        ("sublinear_tf", isinstance(params["sublinear_tf"], bool), "True or False"),
        (
            "C",
            isinstance(params["C"], int | float)
            and not isinstance(params["C"], bool)
            and 0 < params["C"] < float("inf"),
            "a positive number",
        ),
        ("class_weight", params["class_weight"] in CLASS_WEIGHTS, "one of 'balanced', None"),
        ("pooling", params["pooling"] in POOLINGS, "one of 'passages', 'sentences', None"),
        (
            "cv",
            params["cv"] is None or (_whole(params["cv"]) and params["cv"] >= 2),
            "None or a whole number of folds >= 2",
        ),
        (
            "cv_repeats",
            _whole(params["cv_repeats"]) and params["cv_repeats"] >= 1,
            "a whole number >= 1",
        ),
        ("random_state", _whole(params["random_state"]), "a whole number"),
    ]
    problems += [
        f"{name}: expected {allowed}, found {params[name]!r}"
        for name, ok, allowed in checks
        if not ok
    ]
    found = [p for p in problems if p]
    if found:
        raise UsageError("; ".join(found))


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)
