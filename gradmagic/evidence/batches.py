"""A first batch of what ``fit`` will train on, taken without changing what ``fit`` sees."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from gradmagic.core import keras_adapter
from gradmagic.evidence.facts.data import DataSample

PROBE_ROWS = 64


@dataclass
class FitBatch:
    """The data of one ``fit`` call as the measuring modules need it, live; the pipeline keeps it.

    ``x``/``y``/``sample_weight`` are the first batch (NumPy or tensors) or None when
    unknown. ``element`` is the first element exactly as a generator/dataset yielded it.
    ``full_x``/``full_y`` are the whole arrays when ``fit`` got arrays. ``facts`` is the plain
    part, which the evidence keeps (``FitEvidence.data``).
    """

    facts: DataSample
    x: Any = None
    y: Any = None
    sample_weight: Any = None
    element: Any = None
    full_x: Any = None
    full_y: Any = None

    def __post_init__(self) -> None:
        facts = self.facts
        facts.available = self.x is not None
        facts.y = _on_host(self.y)
        if isinstance(self.y, dict) and facts.target_keys is None:
            facts.target_keys = [str(key) for key in self.y]
        if isinstance(self.element, dict):
            facts.element_keys = [str(key) for key in self.element]

    @property
    def kind(self) -> str:
        return self.facts.kind

    @property
    def has_targets(self) -> bool:
        return self.facts.has_targets

    @property
    def available(self) -> bool:
        return self.x is not None


def _on_host(value: Any) -> Any:
    """A structure of tensors or arrays as NumPy arrays (None when it cannot be read as numbers)."""
    if value is None:
        return None
    if isinstance(value, list) and value and np.isscalar(value[0]):  # a plain list of labels: one array
        value = np.asarray(value)
    try:
        found = keras.tree.map_structure(np.asarray, value)
    except Exception:  # noqa: BLE001 - ragged or sparse targets: the rules do without them
        return None
    if any(leaf.dtype == object for leaf in keras.tree.flatten(found)):
        return None
    return found


_KERAS_DIR = os.path.dirname(os.path.abspath(keras.__file__)) + os.sep


@functools.cache
def keras_signature(method: str) -> inspect.Signature:
    """The signature of Keras's own ``keras.Model.<method>``, found through the MRO.

    Not the object standing at the class attribute: that may be a user's ``(*args, **kwargs)``
    wrapper, a subclass override or another tool's patch, whose signature says nothing about
    which argument is which. Only used to *read* arguments, never to re-pass them.
    """
    for owner in keras.Model.__mro__:
        function = owner.__dict__.get(method)
        code = getattr(function, "__code__", None)
        if code is not None and os.path.abspath(code.co_filename).startswith(_KERAS_DIR):
            return inspect.signature(function)
    raise LookupError(f"Keras's own Model.{method} was not found")


@dataclass
class FitArguments:
    """``fit``'s arguments bound to Keras's own signature (read only, with the data argument
    possibly replaced)."""

    arguments: dict[str, Any]

    @classmethod
    def bind(cls, method: str | Callable, model: keras.Model, args: tuple, kwargs: dict) -> FitArguments:
        """``method``: ``"fit"`` or ``"train_on_batch"`` (or a function of that name)."""
        signature = keras_signature(method if isinstance(method, str) else method.__name__)
        bound = signature.bind(model, *args, **kwargs)
        arguments = dict(bound.arguments)
        arguments.pop(next(iter(signature.parameters)))
        return cls(arguments)

    @staticmethod
    def place(method: str, args: tuple, kwargs: dict, name: str, value: Any) -> tuple[tuple, dict]:
        """``(args, kwargs)`` with argument ``name`` set to ``value`` where the user passed it:
        at its index when it was passed positionally, as a keyword otherwise."""
        parameters = list(keras_signature(method).parameters)[1:]
        index = parameters.index(name)
        if index < len(args):
            return (*args[:index], value, *args[index + 1:]), dict(kwargs)
        return tuple(args), {**kwargs, name: value}

    def get(self, name: str, default: Any = None) -> Any:
        return self.arguments.get(name, default)


def _element_kind(element: Any) -> str:
    if isinstance(element, tuple):
        return f"tuple of {len(element)}"
    if isinstance(element, list):
        return f"list of {len(element)}"
    if isinstance(element, dict):
        return "dict"
    return "single array"


def _split(element: Any) -> tuple[Any, Any, Any, bool]:
    """Split an element the way Keras does: ``(x, y, sample_weight)`` from a tuple only."""
    if isinstance(element, tuple):
        x = element[0] if len(element) > 0 else None
        y = element[1] if len(element) > 1 else None
        sw = element[2] if len(element) > 2 else None
        return x, y, sw, y is not None
    return element, None, None, False


def _head(value: Any, rows: int) -> Any:
    return tf.nest.map_structure(lambda a: a[:rows] if hasattr(a, "shape") and len(a.shape) else a, value)


def _replay(first: Any, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _raise_later(error: BaseException) -> Iterator:
    raise error
    yield  # pragma: no cover - makes this a generator


def sample_fit_data(fit_args: FitArguments) -> tuple[FitBatch, dict[str, Any]]:
    """Take a first batch; returns the sample and the argument replacements ``fit`` must get.

    A generator is advanced once and handed to ``fit`` as a generator that yields that
    element first, so ``fit`` sees the same batches in the same order.
    """
    x = fit_args.get("x")
    y = fit_args.get("y")
    sample_weight = fit_args.get("sample_weight")
    batch_size = fit_args.get("batch_size") or 32
    replacements: dict[str, Any] = {}

    if isinstance(x, types.GeneratorType):
        try:
            element = next(x)
        except StopIteration:
            empty = DataSample(kind="generator", notes=["the generator yielded nothing"])
            return FitBatch(empty), {"x": _replay_empty()}
        except Exception as error:  # noqa: BLE001 - fit must see the same failure
            return FitBatch(DataSample(kind="generator", notes=[f"the generator raised {type(error).__name__}"])), {
                "x": _raise_later(error)
            }
        replacements["x"] = _replay(element, x)
        bx, by, bsw, has_targets = _split(element)
        frame = x.gi_frame
        return (
            FitBatch(DataSample(kind="generator", has_targets=has_targets, element_kind=_element_kind(element),
                                origin=(frame.f_code.co_filename, frame.f_lineno) if frame is not None else None),
                     x=bx, y=by, sample_weight=bsw, element=element),
            replacements,
        )

    if isinstance(x, keras.utils.PyDataset):
        # Keras's first call is ``x[0]`` too (the spec of the tf.data it builds): ``first_item_served``
        # gives it this item, so ``__getitem__`` runs as often, in the same order, as without gradmagic
        element = x[0]
        # Keras turns a list from ``__getitem__`` into a tuple (PyDatasetAdapter._standardize_batch)
        bx, by, bsw, has_targets = _split(tuple(element) if isinstance(element, list) else element)
        code = getattr(type(x).__getitem__, "__code__", None)
        return FitBatch(DataSample(kind="pydataset", has_targets=has_targets, element_kind=_element_kind(element),
                                   origin=(code.co_filename, code.co_firstlineno) if code else None),
                        x=bx, y=by, sample_weight=bsw, element=element), replacements

    if isinstance(x, tf.data.Dataset):
        sample = DataSample(kind="dataset")
        reshuffles = keras_adapter.dataset_reshuffles(x)
        if reshuffles or keras_adapter.dataset_has_side_effects(x):
            sample.notes.append("the dataset reshuffles on every pass; its values were not sampled" if reshuffles
                                else "the dataset runs Python code or fills a cache; its values were not sampled")
            spec = x.element_spec
            sample.element_kind = "tuple" if isinstance(spec, tuple) else "other"
            sample.has_targets = isinstance(spec, tuple) and len(spec) > 1
            if sample.has_targets and isinstance(spec[1], dict):
                sample.target_keys = [str(key) for key in spec[1]]
            return FitBatch(sample), replacements
        try:
            # One element without an iterator object: several times cheaper than `for ... in take(1)`.
            element = x.take(1).get_single_element()
        except (tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError):
            sample.notes.append("the dataset yielded nothing")
            return FitBatch(sample), replacements
        bx, by, bsw, has_targets = _split(element)
        return FitBatch(DataSample(kind="dataset", has_targets=has_targets, element_kind=_element_kind(element)),
                        x=bx, y=by, sample_weight=bsw, element=element), replacements

    if x is None:
        return FitBatch(DataSample(kind="none")), replacements

    if isinstance(x, Iterator) or (hasattr(x, "__iter__") and not hasattr(x, "shape")
                                   and not isinstance(x, (list, tuple, dict))):
        return FitBatch(DataSample(kind="iterator", notes=["this iterator is not sampled"])), replacements

    rows = min(int(batch_size), PROBE_ROWS)
    return (
        FitBatch(DataSample(kind="arrays", has_targets=y is not None, batch_size=int(batch_size)),
                 x=_head(x, rows), y=_head(y, rows) if y is not None else None,
                 sample_weight=_head(sample_weight, rows) if sample_weight is not None else None,
                 full_x=x, full_y=y),
        replacements,
    )


@contextlib.contextmanager
def first_item_served(dataset: Any, item: Any) -> Iterator[None]:
    """While ``fit`` runs: the first ``dataset[0]`` returns ``item``, already read for the sample."""
    cls = type(dataset)
    own = cls.__dict__.get("__getitem__")
    original = cls.__getitem__
    pending = [item]

    def __getitem__(self, index):
        if self is dataset and pending and index == 0:
            return pending.pop()
        return original(self, index)

    cls.__getitem__ = __getitem__
    try:
        yield
    finally:
        if own is None:
            del cls.__getitem__
        else:
            cls.__getitem__ = own


def _replay_empty() -> Iterator:
    return
    yield  # pragma: no cover


def as_tensors(value: Any) -> Any:
    """NumPy arrays and lists of numbers become tensors; structures are kept."""
    if value is None:
        return None

    def convert(leaf: Any) -> Any:
        if isinstance(leaf, (np.ndarray, list, int, float)):
            array = np.asarray(leaf)
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            return tf.convert_to_tensor(array)
        return leaf

    return tf.nest.map_structure(convert, value)
