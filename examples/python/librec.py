"""librec from Python, through ctypes: nothing to compile at install time.

The module loads the shared library ``librec.so.1`` from, in order:

1. ``LIBREC_PATH``: the library file itself, or a directory holding it;
2. the build tree next to this file (``../../build*/lib``), for running the examples
   from a source checkout;
3. the system's library search path.

Handles (:class:`Dataset`, :class:`Model`, :class:`Optimizer`, :class:`Vocab`,
:class:`TextVec`) own their C object and free it in :meth:`close`, in ``__del__`` and at the
end of a ``with`` block. Objects obtained from a model (:meth:`Model.feature_vocab`) are
borrowed: they keep the model alive and are never freed themselves.

Every failing call raises :class:`RecError`, carrying the status code and the library's
detail message (``rec_last_error()``, read on the same thread right after the failure).

numpy is optional. When it is importable, number columns and predictions travel as
numpy arrays without copies (``np.ascontiguousarray`` + ctypes pointers); otherwise
Python lists are used. :func:`set_numpy` switches between the two at run time.

Example::

    import librec
    with librec.Dataset.load_movielens("ml-100k") as ds, \\
         librec.Model.preset(librec.PRESET_DOT, seed=42) as model, \\
         librec.Optimizer.adagrad(0.1) as opt:
        model.build(ds)
        model.fit(opt, ds, epochs=3, batch_size=8192)
        model.save("dot.rec")
"""

import ctypes
import ctypes.util
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, byref, c_char, c_char_p, c_double, c_float, c_int,
                    c_size_t, c_uint32, c_uint64, c_void_p)

try:
    import numpy as _np
except ImportError:  # numpy is optional
    _np = None

__all__ = [
    "RecError", "Dataset", "Model", "Optimizer", "Vocab", "TextVec", "TableOptions", "version",
    "version_string", "set_numpy", "numpy_enabled", "library_path",
]

# ---- constants (values fixed by the C headers) ------------------------------------------

OK, ERROR, ENOMEM, EINVAL, ENOTFOUND, EIO, EFORMAT, ESHAPE, ESTATE, ENUMERIC = (
    0, -1, -2, -3, -4, -5, -6, -7, -8, -9)
_STATUS_NAMES = {
    0: "REC_OK", -1: "REC_ERROR", -2: "REC_ENOMEM", -3: "REC_EINVAL", -4: "REC_ENOTFOUND",
    -5: "REC_EIO", -6: "REC_EFORMAT", -7: "REC_ESHAPE", -8: "REC_ESTATE", -9: "REC_ENUMERIC",
}

SIDE_USER, SIDE_ITEM = 0, 1
(FEATURE_CATEGORICAL, FEATURE_BUCKETIZED, FEATURE_NUMERIC, FEATURE_TEXT,
 FEATURE_CATEGORICAL_LIST) = range(5)
INTERACTION_DOT, INTERACTION_MLP = 0, 1
PRESET_DOT, PRESET_ONE_LAYER, PRESET_ENRICHED = 0, 1, 2
ACTIVATION_LINEAR, ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH = 0, 1, 2, 3
COLUMN_STRING, COLUMN_NUMBER, COLUMN_STRING_LIST = 0, 1, 2
OPTIMIZER_ADAGRAD, OPTIMIZER_ADAM, OPTIMIZER_SGD = 0, 1, 2
(STAT_LOSS, STAT_RMSE, STAT_VAL_RMSE, STAT_VAL_MAE, STAT_SECONDS) = range(5)
(TABLE_AUTO, TABLE_STRING, TABLE_NUMBER, TABLE_ID, TABLE_INTEGER, TABLE_STRING_LIST,
 TABLE_SKIP) = range(7)
MISSING_ALLOW, MISSING_ERROR = 0, 1
JOIN_REQUIRE_MATCH, JOIN_FILL_MISSING, JOIN_EXACT = 0, 1, 2

#: ABI major version this module was written for (the N of librec.so.N).
ABI_MAJOR = 1


# ---- loading the library ----------------------------------------------------------------

def _candidates():
    env = os.environ.get("LIBREC_PATH")
    if env:
        if os.path.isdir(env):
            yield os.path.join(env, "librec.so.%d" % ABI_MAJOR)
            yield os.path.join(env, "librec.so")
        else:
            yield env
        return  # an explicit path is not second-guessed
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    for lib_dir in sorted(glob.glob(os.path.join(root, "build*", "lib"))):
        yield os.path.join(lib_dir, "librec.so.%d" % ABI_MAJOR)
    found = ctypes.util.find_library("rec")
    if found:
        yield found
    yield "librec.so.%d" % ABI_MAJOR


def _load_library():
    errors = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise ImportError("librec: cannot load librec.so.%d (set LIBREC_PATH to the library or "
                      "its directory)%s" % (ABI_MAJOR, "".join("\n  " + e for e in errors)))


_lib, library_path = _load_library()

_status = c_int  # rec_status is an int-sized enum
_EPOCH_FN = CFUNCTYPE(c_int, c_uint32, POINTER(c_double), c_size_t, c_void_p)

# Every function used, with its C signature. (name, restype, argtypes)
_P = c_void_p
_PP = POINTER(c_void_p)
_SIGNATURES = [
    ("rec_version", c_uint32, []),
    ("rec_version_string", c_char_p, []),
    ("rec_status_str", c_char_p, [c_int]),
    ("rec_last_error", c_char_p, []),
    # dataset
    ("rec_dataset_create", _status, [_PP, c_size_t]),
    ("rec_dataset_free", None, [_P]),
    ("rec_dataset_add_strings", _status, [_P, c_char_p, POINTER(c_char_p), c_size_t]),
    ("rec_dataset_add_numbers", _status, [_P, c_char_p, POINTER(c_double), c_size_t]),
    ("rec_dataset_add_string_lists", _status,
     [_P, c_char_p, POINTER(c_char_p), POINTER(c_size_t), c_size_t]),
    ("rec_dataset_size", c_size_t, [_P]),
    ("rec_dataset_n_columns", c_size_t, [_P]),
    ("rec_dataset_column", _status, [POINTER(c_uint32), _P, c_char_p]),
    ("rec_dataset_column_name", c_char_p, [_P, c_uint32]),
    ("rec_dataset_column_type", c_int, [_P, c_uint32]),
    ("rec_dataset_string", c_char_p, [_P, c_uint32, c_size_t]),
    ("rec_dataset_number", c_double, [_P, c_uint32, c_size_t]),
    ("rec_dataset_unique_strings", _status,
     [POINTER(c_char_p), c_size_t, POINTER(c_size_t), _P, c_uint32]),
    ("rec_dataset_numbers", _status, [POINTER(c_double), c_size_t, _P, c_uint32]),
    ("rec_dataset_subset", _status, [_PP, _P, POINTER(c_uint32), c_size_t]),
    ("rec_dataset_shuffle_split", _status, [_PP, _PP, _P, c_size_t, c_uint64]),
    ("rec_dataset_load_movielens", _status, [_PP, c_char_p, c_char_p]),
    ("rec_dataset_synthesize", _status, [_PP, c_size_t, c_uint32, c_uint32, c_uint64]),
    # tables
    ("rec_table_options_create", _status, [_PP]),
    ("rec_table_options_free", None, [_P]),
    ("rec_table_options_set_delimiter", _status, [_P, c_char]),
    ("rec_table_options_set_quote", _status, [_P, c_char]),
    ("rec_table_options_set_header", _status, [_P, c_int]),
    ("rec_table_options_set_infer_rows", _status, [_P, c_size_t]),
    ("rec_table_options_set_skip_blank_lines", _status, [_P, c_int]),
    ("rec_table_options_set_column", _status, [_P, c_char_p, c_int, c_char_p]),
    ("rec_table_options_set_only_listed", _status, [_P, c_int]),
    ("rec_table_options_set_list_separator", _status, [_P, c_char_p, c_char]),
    ("rec_table_options_set_missing", _status, [_P, c_char_p, c_int]),
    ("rec_dataset_load_table", _status, [_PP, c_char_p, _P]),
    ("rec_dataset_parse_table", _status, [_PP, c_char_p, c_size_t, c_char_p, _P]),
    # vocab
    ("rec_vocab_create", _status, [_PP, POINTER(c_char_p), c_size_t]),
    ("rec_vocab_free", None, [_P]),
    ("rec_vocab_size", c_size_t, [_P]),
    ("rec_vocab_index", c_uint32, [_P, c_char_p]),
    ("rec_vocab_lookup", _status, [POINTER(c_uint32), _P, c_char_p]),
    ("rec_vocab_token", c_char_p, [_P, c_uint32]),
    # text vectorizer
    ("rec_textvec_adapt", _status, [_PP, POINTER(c_char_p), c_size_t, c_uint32]),
    ("rec_textvec_create", _status, [_PP, POINTER(c_char_p), c_size_t, c_uint32]),
    ("rec_textvec_free", None, [_P]),
    ("rec_textvec_vocab_size", c_size_t, [_P]),
    ("rec_textvec_max_tokens", c_uint32, [_P]),
    ("rec_textvec_token", c_char_p, [_P, c_uint32]),
    ("rec_textvec_encode", _status,
     [POINTER(c_uint32), c_size_t, POINTER(c_size_t), _P, c_char_p]),
    # optimizer
    ("rec_optimizer_create_adagrad", _status, [_PP, c_float]),
    ("rec_optimizer_create_adam", _status, [_PP, c_float]),
    ("rec_optimizer_create_sgd", _status, [_PP, c_float]),
    ("rec_optimizer_kind_of", c_int, [_P]),
    ("rec_optimizer_set_beta1", _status, [_P, c_float]),
    ("rec_optimizer_set_beta2", _status, [_P, c_float]),
    ("rec_optimizer_free", None, [_P]),
    ("rec_optimizer_set_learning_rate", _status, [_P, c_float]),
    ("rec_optimizer_set_initial_accumulator", _status, [_P, c_float]),
    ("rec_optimizer_set_epsilon", _status, [_P, c_float]),
    ("rec_optimizer_learning_rate", c_float, [_P]),
    # model
    ("rec_model_create", _status, [_PP, c_uint64]),
    ("rec_model_create_preset", _status, [_PP, c_int, c_uint64]),
    ("rec_model_free", None, [_P]),
    ("rec_model_add_feature", _status,
     [POINTER(c_uint32), _P, c_char_p, c_int, c_int, c_uint32]),
    ("rec_model_feature_set_bucket_count", _status, [_P, c_uint32, c_uint32]),
    ("rec_model_feature_set_boundaries", _status, [_P, c_uint32, POINTER(c_double), c_size_t]),
    ("rec_model_feature_set_max_tokens", _status, [_P, c_uint32, c_uint32]),
    ("rec_model_set_interaction", _status, [_P, c_int]),
    ("rec_model_add_layer", _status, [_P, c_uint32, c_int]),
    ("rec_model_set_label", _status, [_P, c_char_p]),
    ("rec_model_label", c_char_p, [_P]),
    ("rec_model_feature_info", _status,
     [POINTER(c_char_p), POINTER(c_int), POINTER(c_int), POINTER(c_int), POINTER(c_uint32), _P,
      c_uint32]),
    ("rec_model_create_preset_columns", _status, [_PP, c_int, POINTER(c_char_p), c_uint64]),
    # serving (rec/serve.h)
    ("rec_model_set_catalog", _status, [_P, _P, c_char_p]),
    ("rec_model_catalog_size", c_size_t, [_P]),
    ("rec_model_catalog_item", c_char_p, [_P, c_size_t]),
    ("rec_model_set_seen", _status, [_P, _P, c_char_p, c_char_p]),
    ("rec_model_recommend_user", _status,
     [POINTER(c_char_p), POINTER(c_float), POINTER(c_size_t), c_size_t, _P, _P, c_size_t,
      POINTER(c_char_p), c_size_t, c_int]),
    ("rec_model_recommend_users", _status,
     [POINTER(c_char_p), POINTER(c_float), POINTER(c_size_t), c_size_t, _P, _P, c_int]),
    ("rec_model_score_items", _status, [POINTER(c_float), c_size_t, _P, _P, c_size_t,
                                        POINTER(c_char_p)]),
    ("rec_model_set_clip", _status, [_P, c_int]),
    ("rec_model_label_range", _status, [POINTER(c_double), POINTER(c_double), _P]),
    ("rec_model_count_unknown", _status, [POINTER(c_uint32), c_size_t, _P, _P]),
    ("rec_dataset_join", _status,
     [POINTER(c_size_t), POINTER(c_size_t), _P, c_char_p, _P, c_char_p, c_int]),
    ("rec_model_build", _status, [_P, _P]),
    ("rec_model_is_built", c_int, [_P]),
    ("rec_model_n_features", c_size_t, [_P]),
    ("rec_model_n_params", c_size_t, [_P]),
    ("rec_model_n_layers", c_size_t, [_P]),
    ("rec_model_feature_vocab", _P, [_P, c_uint32]),
    ("rec_model_train_epoch", _status,
     [_P, _P, _P, c_size_t, POINTER(c_double), POINTER(c_double)]),
    ("rec_model_fit", _status,
     [_P, _P, _P, _P, c_uint32, c_size_t, c_size_t, _EPOCH_FN, c_void_p]),
    ("rec_model_evaluate", _status, [_P, _P, c_size_t, POINTER(c_double), POINTER(c_double)]),
    ("rec_model_predict", _status, [_P, _P, POINTER(c_float), c_size_t]),
    ("rec_model_recommend", _status,
     [POINTER(c_uint32), POINTER(c_float), POINTER(c_size_t), c_size_t, _P, _P, _P, c_size_t,
      POINTER(ctypes.c_uint8)]),
    ("rec_model_set_threads", _status, [_P, c_uint32]),
    ("rec_model_threads", c_uint32, [_P]),
    ("rec_model_save", _status, [_P, c_char_p, c_int]),
    ("rec_model_load", _status, [_PP, c_char_p]),
    ("rec_model_summary", _status, [POINTER(c_char), c_size_t, POINTER(c_size_t), _P]),
    ("rec_model_graphviz", _status, [POINTER(c_char), c_size_t, POINTER(c_size_t), _P]),
]


class _Functions:
    """The C functions, with restype and argtypes declared; a function missing from the
    loaded library raises AttributeError only when used."""


_c = _Functions()
_missing = []
for _name, _restype, _argtypes in _SIGNATURES:
    try:
        _f = getattr(_lib, _name)
    except AttributeError:
        _missing.append(_name)
        continue
    _f.restype = _restype
    _f.argtypes = _argtypes
    setattr(_c, _name[4:], _f)  # rec_model_fit -> _c.model_fit

if (_c.version() // 10000) != ABI_MAJOR:
    raise ImportError("librec: %s is version %s, this module needs %d.x"
                      % (library_path, _c.version_string().decode(), ABI_MAJOR))


def version():
    """Run-time version as major·10000 + minor·100 + patch."""
    return _c.version()


def version_string():
    """Run-time version string, e.g. '1.1.0'."""
    return _c.version_string().decode()


# ---- numpy or lists -----------------------------------------------------------------------

_use_numpy = _np is not None


def set_numpy(enabled):
    """Use numpy arrays (True, when numpy is importable) or lists (False) for number columns
    and results. Returns the previous setting."""
    global _use_numpy
    previous = _use_numpy
    _use_numpy = bool(enabled) and _np is not None
    return previous


def numpy_enabled():
    return _use_numpy


def _doubles(values):
    """(pointer, n, keepalive) for a sequence of numbers, without a copy when it already is
    a contiguous float64 numpy array."""
    if _use_numpy:
        arr = _np.ascontiguousarray(values, dtype=_np.float64)
        if arr.ndim != 1:
            raise ValueError("expected a one-dimensional sequence of numbers")
        return arr.ctypes.data_as(POINTER(c_double)), arr.shape[0], arr
    vals = list(values)
    buf = (c_double * len(vals))(*vals)
    return buf, len(vals), buf


def _float_result(n):
    """(buffer to pass as float*, function turning it into the result)."""
    if _use_numpy:
        out = _np.empty(n, dtype=_np.float32)
        return out.ctypes.data_as(POINTER(c_float)), (lambda: out)
    buf = (c_float * n)()
    return buf, (lambda: list(buf))


def _strings(values):
    """A char*[] of UTF-8 strings and the encoded bytes that keep it alive."""
    enc = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values]
    return (c_char_p * len(enc))(*enc), enc


def _text(p):
    return None if p is None else p.decode("utf-8", "surrogateescape")


# ---- errors -------------------------------------------------------------------------------

class RecError(Exception):
    """A librec call failed.

    Attributes: ``status`` (the negative code; codes this module does not know are reported
    as REC_ERROR, -1, as the C headers ask), ``name`` ("REC_EFORMAT"), ``message`` (the
    detail from rec_last_error()) and ``function`` (the C function called)."""

    def __init__(self, status, message, function=""):
        status = status if status in _STATUS_NAMES else ERROR
        self.status = status
        self.name = _STATUS_NAMES[status]
        self.message = message
        self.function = function
        super().__init__("%s: %s" % (self.name, message))


def _check(rc, function=""):
    if rc != OK:
        # read the thread's message before anything else can call into librec
        raise RecError(rc, _text(_c.last_error()) or _text(_c.status_str(rc)), function)


def _call(name, *args):
    fn = getattr(_c, name, None)
    if fn is None:
        raise RecError(ERROR, "%s is not in %s (an older librec)" % ("rec_" + name,
                                                                    library_path))
    _check(fn(*args), "rec_" + name)


# ---- handles ------------------------------------------------------------------------------

class _Handle:
    """Owns one C handle (or borrows one from an owner it keeps alive)."""

    _free = None  # name of the free function in _c

    def __init__(self, ptr, owner=None):
        self._ptr = c_void_p(ptr) if not isinstance(ptr, c_void_p) else ptr
        self._owner = owner  # borrowed handles keep their parent alive

    @property
    def _as_parameter_(self):
        if not self._ptr:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._ptr

    def close(self):
        """Free the C object now (borrowed handles are only detached). Idempotent."""
        ptr, self._ptr = self._ptr, c_void_p()
        if ptr and self._owner is None and self._free and _c is not None:
            getattr(_c, self._free)(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def closed(self):
        return not self._ptr


def _new(cls, function, *args):
    out = c_void_p()
    _call(function, byref(out), *args)
    return cls(out)


class Vocab(_Handle):
    """Keras StringLookup: sorted unique tokens take ids 1..n, everything else 0."""

    _free = "vocab_free"

    @classmethod
    def create(cls, tokens):
        arr, keep = _strings(tokens)
        return _new(cls, "vocab_create", arr, len(keep))

    def __len__(self):
        return _c.vocab_size(self)

    def index(self, token):
        """Id of token, 0 when unknown."""
        return _c.vocab_index(self, token.encode("utf-8"))

    def lookup(self, token):
        """Id of token; raises RecError (REC_ENOTFOUND) when unknown."""
        out = c_uint32()
        _call("vocab_lookup", byref(out), self, token.encode("utf-8"))
        return out.value

    def token(self, i):
        """Token of id i, or None for 0 and out-of-range ids."""
        return _text(_c.vocab_token(self, i))

    def tokens(self):
        return [self.token(i) for i in range(1, len(self))]


class TextVec(_Handle):
    """Keras TextVectorization (lower_and_strip_punctuation, whitespace split)."""

    _free = "textvec_free"

    @classmethod
    def adapt(cls, texts, max_tokens=10000):
        arr, keep = _strings(texts)
        return _new(cls, "textvec_adapt", arr, len(keep), max_tokens)

    @classmethod
    def create(cls, tokens, max_tokens=10000):
        """A vectorizer with a given vocabulary: tokens[i] gets id i + 2."""
        arr, keep = _strings(tokens)
        return _new(cls, "textvec_create", arr, len(keep), max_tokens)

    def __len__(self):
        return _c.textvec_vocab_size(self)

    @property
    def max_tokens(self):
        return _c.textvec_max_tokens(self)

    def token(self, i):
        return _text(_c.textvec_token(self, i))

    def encode(self, text):
        """Token ids of one text (no padding)."""
        enc = text.encode("utf-8")
        n = c_size_t()
        cap = len(enc) + 1  # a text of L bytes has at most (L + 1) / 2 tokens
        ids = (c_uint32 * cap)()
        _call("textvec_encode", ids, cap, byref(n), self, enc)
        return list(ids[:n.value])


class Optimizer(_Handle):
    """Adagrad, Adam or SGD, with Keras's defaults (rec/optimizer.h)."""

    _free = "optimizer_free"

    @classmethod
    def adagrad(cls, learning_rate=0.001):
        return _new(cls, "optimizer_create_adagrad", learning_rate)

    @classmethod
    def adam(cls, learning_rate=0.001):
        return _new(cls, "optimizer_create_adam", learning_rate)

    @classmethod
    def sgd(cls, learning_rate=0.01):
        return _new(cls, "optimizer_create_sgd", learning_rate)

    @property
    def kind(self):
        """OPTIMIZER_ADAGRAD, OPTIMIZER_ADAM or OPTIMIZER_SGD."""
        return _c.optimizer_kind_of(self)

    def set_beta1(self, value):
        _call("optimizer_set_beta1", self, value)

    def set_beta2(self, value):
        _call("optimizer_set_beta2", self, value)

    @property
    def learning_rate(self):
        return _c.optimizer_learning_rate(self)

    @learning_rate.setter
    def learning_rate(self, value):
        _call("optimizer_set_learning_rate", self, value)

    def set_epsilon(self, value):
        _call("optimizer_set_epsilon", self, value)

    def set_initial_accumulator(self, value):
        _call("optimizer_set_initial_accumulator", self, value)


def _byte(value, what, allow_empty=False):
    """One byte for a char parameter: a one-character str/bytes ('' for NUL when allowed)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes):
        raise TypeError("%s must be a one-character string, not %s" % (what,
                                                                      type(value).__name__))
    if value == b"" and allow_empty:
        return b"\0"
    if len(value) != 1:
        raise ValueError("%s must be one byte, got %r" % (what, value))
    return value


def _count(value, what):
    """A non-negative int for a size_t parameter, checked before C sees it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if value < 0:
        raise ValueError("%s must be ≥ 0, got %d" % (what, value))
    if value > 1 << 32:
        raise ValueError("%s = %d is too large" % (what, value))
    return value


def _index(value, n, what):
    value = _count(value, what)
    if value >= n:
        raise IndexError("%s %d out of range (%d rows)" % (what, value, n))
    return value


def _name(value, what):
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
    if not value or "\0" in value:
        raise ValueError("%s must be a non-empty string without NUL" % what)
    return value.encode("utf-8")


class TableOptions(_Handle):
    """How a delimited table is read (rec/table.h): TableOptions(delimiter=",", quote='"',
    header=True, infer_rows=1000, skip_blank_lines=True, only_listed=False, missing=None,
    columns=None, list_separators=None). columns maps a column's name in the file to a type
    (TABLE_*) or to (type, new_name); list_separators maps a column to its separator;
    missing is MISSING_ALLOW / MISSING_ERROR for every column, or a dict per column (the key
    None for the default)."""

    _free = "table_options_free"

    def __init__(self, delimiter=",", quote='"', header=True, infer_rows=1000,
                 skip_blank_lines=True, only_listed=False, missing=None, columns=None,
                 list_separators=None):
        if isinstance(infer_rows, bool) or not isinstance(infer_rows, int):
            raise TypeError("infer_rows must be an int")
        if infer_rows < 1:
            raise ValueError("infer_rows must be at least 1")
        out = c_void_p()
        _call("table_options_create", byref(out))
        super().__init__(out)
        try:
            _call("table_options_set_delimiter", self, _byte(delimiter, "delimiter"))
            _call("table_options_set_quote", self, _byte(quote, "quote", allow_empty=True))
            _call("table_options_set_header", self, 1 if header else 0)
            _call("table_options_set_infer_rows", self, infer_rows)
            _call("table_options_set_skip_blank_lines", self, 1 if skip_blank_lines else 0)
            _call("table_options_set_only_listed", self, 1 if only_listed else 0)
            for column, spec in (columns or {}).items():
                kind, rename = spec if isinstance(spec, tuple) else (spec, None)
                self.set_column(column, kind, rename)
            for column, sep in (list_separators or {}).items():
                _call("table_options_set_list_separator", self, _name(column, "column"),
                      _byte(sep, "list separator"))
            if isinstance(missing, dict):
                for column, policy in missing.items():
                    self.set_missing(column, policy)
            elif missing is not None:
                self.set_missing(None, missing)
        except BaseException:
            self.close()
            raise

    def set_column(self, column, kind, rename=None):
        if isinstance(kind, bool) or not isinstance(kind, int):
            raise TypeError("the type of column %r must be a TABLE_* constant" % (column,))
        if not TABLE_AUTO <= kind <= TABLE_SKIP:
            raise ValueError("unknown table type %d for column %r" % (kind, column))
        _call("table_options_set_column", self, _name(column, "column"), kind,
              None if rename is None else _name(rename, "rename"))

    def set_missing(self, column, policy):
        if policy not in (MISSING_ALLOW, MISSING_ERROR):
            raise ValueError("missing policy must be MISSING_ALLOW or MISSING_ERROR")
        _call("table_options_set_missing", self,
              None if column is None else _name(column, "column"), policy)


def _table_options(options, kwargs):
    """(handle to pass, handle to close or None) from a TableOptions, None or keywords."""
    if options is not None and kwargs:
        raise TypeError("pass options or keyword arguments, not both")
    if options is None and kwargs:
        made = TableOptions(**kwargs)
        return made, made
    if options is not None and not isinstance(options, TableOptions):
        raise TypeError("options must be a TableOptions")
    return options, None


class Dataset(_Handle):
    """A table of named, typed columns (string, number, string list)."""

    _free = "dataset_free"

    @classmethod
    def create(cls, n_rows):
        return _new(cls, "dataset_create", n_rows)

    @classmethod
    def from_columns(cls, columns):
        """A dataset from {name: values}: str values make a string column, lists/tuples of
        str a string-list column, numbers a number column (None or NaN = missing)."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError("columns must all have the same length")
        ds = cls.create(lengths.pop())
        try:
            for name, values in columns.items():
                first = next(iter(values), None)
                if isinstance(first, (str, bytes)):
                    ds.add_strings(name, values)
                elif isinstance(first, (list, tuple)):
                    ds.add_string_lists(name, values)
                else:
                    if not (_np is not None and isinstance(values, _np.ndarray)):
                        values = [float("nan") if v is None else v for v in values]
                    ds.add_numbers(name, values)
        except BaseException:
            ds.close()
            raise
        return ds

    @classmethod
    def load_movielens(cls, directory, ratings_file=None):
        """MovieLens 100K joined with movie and user features (rec/movielens.h)."""
        return _new(cls, "dataset_load_movielens", os.fsencode(directory),
                    None if ratings_file is None else os.fsencode(ratings_file))

    @classmethod
    def load_table(cls, path, options=None, **kwargs):
        """A delimited table by header names (rec/table.h): options is a TableOptions, or
        give its keyword arguments here (delimiter=";", columns={"user": TABLE_STRING})."""
        opts, made = _table_options(options, kwargs)
        try:
            return _new(cls, "dataset_load_table", os.fsencode(path), opts)
        finally:
            if made is not None:
                made.close()

    @classmethod
    def parse_table(cls, data, name=None, options=None, **kwargs):
        """A table from a str or bytes in memory; name is what messages call it."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("data must be str or bytes")
        opts, made = _table_options(options, kwargs)
        try:
            return _new(cls, "dataset_parse_table", bytes(data), len(data),
                        None if name is None else str(name).encode("utf-8"), opts)
        finally:
            if made is not None:
                made.close()

    @classmethod
    def synthesize(cls, n_ratings, n_users, n_movies, seed=0):
        """A MovieLens-shaped synthetic dataset (rec/synth.h)."""
        return _new(cls, "dataset_synthesize", n_ratings, n_users, n_movies, seed)

    def add_strings(self, name, values):
        arr, keep = _strings(values)
        _call("dataset_add_strings", self, name.encode(), arr, len(keep))

    def add_numbers(self, name, values):
        ptr, n, _keep = _doubles(values)
        _call("dataset_add_numbers", self, name.encode(), ptr, n)

    def add_string_lists(self, name, rows):
        flat, offsets = [], [0]
        for row in rows:
            flat.extend(row)
            offsets.append(len(flat))
        arr, _keep = _strings(flat)
        offs = (c_size_t * len(offsets))(*offsets)
        _call("dataset_add_string_lists", self, name.encode(), arr, offs, len(rows))

    def __len__(self):
        return _c.dataset_size(self)

    @property
    def columns(self):
        return [_text(_c.dataset_column_name(self, i))
                for i in range(_c.dataset_n_columns(self))]

    def _column(self, name):
        col = c_uint32()
        _call("dataset_column", byref(col), self, name.encode())
        return col.value

    def strings(self, name):
        """All values of a string column, as a list."""
        col = self._column(name)
        return [_text(_c.dataset_string(self, col, r)) for r in range(len(self))]

    def numbers(self, name):
        """All values of a number column (numpy float64 array, or list)."""
        col = self._column(name)
        n = len(self)
        if _use_numpy:
            out = _np.empty(n, dtype=_np.float64)
            _call("dataset_numbers", out.ctypes.data_as(POINTER(c_double)), n, self, col)
            return out
        buf = (c_double * n)()
        _call("dataset_numbers", buf, n, self, col)
        return list(buf)

    def unique_strings(self, name):
        """Distinct strings of a string or string-list column, sorted by bytes."""
        col = self._column(name)
        n = c_size_t()
        _call("dataset_unique_strings", None, 0, byref(n), self, col)
        buf = (c_char_p * max(n.value, 1))()
        _call("dataset_unique_strings", buf, n.value, byref(n), self, col)
        return [_text(buf[i]) for i in range(n.value)]

    def join(self, key, side, side_key=None, policy=JOIN_REQUIRE_MATCH):
        """Copy side's columns onto this dataset by key (rec_dataset_join): every row takes
        the side row whose side_key (default: key) equals its key. Returns (keys with no
        side row, side rows no key uses)."""
        if not isinstance(side, Dataset):
            raise TypeError("side must be a Dataset")
        if policy not in (JOIN_REQUIRE_MATCH, JOIN_FILL_MISSING, JOIN_EXACT):
            raise ValueError("policy must be a JOIN_* constant")
        unmatched, unused = c_size_t(), c_size_t()
        _call("dataset_join", byref(unmatched), byref(unused), self, _name(key, "key"), side,
              None if side_key is None else _name(side_key, "side_key"), policy)
        return unmatched.value, unused.value

    def subset(self, rows):
        idx = (c_uint32 * len(rows))(*rows)
        return _new(Dataset, "dataset_subset", self, idx, len(rows))

    def shuffle_split(self, n_first, seed):
        """Seeded shuffle, then (first n_first rows, the rest)."""
        a, b = c_void_p(), c_void_p()
        _call("dataset_shuffle_split", byref(a), byref(b), self, n_first, seed)
        return Dataset(a), Dataset(b)


def _snprintf_style(function, handle):
    n = c_size_t()
    _call(function, None, 0, byref(n), handle)
    buf = ctypes.create_string_buffer(n.value + 1)
    _call(function, buf, n.value + 1, byref(n), handle)
    return buf.value.decode("utf-8")


class Model(_Handle):
    """A ranking model: features on a user side and an item side, joined by a dot product
    or a dense stack (rec/model.h)."""

    _free = "model_free"

    @classmethod
    def create(cls, seed=0):
        """An empty description with no label: call set_label before fit or evaluate."""
        return _new(cls, "model_create", seed)

    @classmethod
    def preset(cls, preset, seed=0, columns=None):
        """One of the tutorial's models: PRESET_DOT, PRESET_ONE_LAYER, PRESET_ENRICHED. columns
        maps its roles to your column names: {"user": ..., "item": ..., "label": ...} and,
        for PRESET_ENRICHED, "time" (and "text", default the item column); without it the
        MovieLens names (user_id, movie_title, user_rating, timestamp) are read."""
        if columns is None:
            return _new(cls, "model_create_preset", preset, seed)
        if not isinstance(columns, dict):
            raise TypeError("columns must be a dict of role -> column name")
        flat = []
        for role, name in columns.items():
            flat += [_name(role, "role"), _name(name, "column of role %r" % (role,))]
        arr = (c_char_p * (len(flat) + 1))(*flat, None)
        return _new(cls, "model_create_preset_columns", preset, arr, seed)

    @classmethod
    def load(cls, path):
        """A model saved by save(); raises RecError (REC_EIO, REC_EFORMAT) otherwise."""
        return _new(cls, "model_load", os.fsencode(path))

    def save(self, path, include_optimizer_state=False):
        """Atomic save (docs/file-format.md); with the optimizer state to resume training."""
        _call("model_save", self, os.fsencode(path), 1 if include_optimizer_state else 0)

    # description
    def add_feature(self, column, kind, side, dim):
        fid = c_uint32()
        _call("model_add_feature", byref(fid), self, column.encode(), kind, side, dim)
        return fid.value

    def set_bucket_count(self, feature, n_boundaries):
        _call("model_feature_set_bucket_count", self, feature, n_boundaries)

    def set_boundaries(self, feature, boundaries):
        ptr, n, _keep = _doubles(boundaries)
        _call("model_feature_set_boundaries", self, feature, ptr, n)

    def set_max_tokens(self, feature, max_tokens):
        _call("model_feature_set_max_tokens", self, feature, max_tokens)

    def set_interaction(self, interaction):
        _call("model_set_interaction", self, interaction)

    def add_layer(self, units, activation=ACTIVATION_LINEAR):
        _call("model_add_layer", self, units, activation)

    def set_label(self, column):
        """The number column the model predicts (before build)."""
        _call("model_set_label", self, column.encode())

    def build(self, adapt):
        _call("model_build", self, adapt)

    # properties
    @property
    def built(self):
        return bool(_c.model_is_built(self))

    @property
    def label(self):
        """The label column's name, or None when none is set (librec 1.1)."""
        return _text(_c.model_label(self))

    def feature_info(self, feature):
        """What input `feature` reads: a dict with column, kind (FEATURE_*), side (SIDE_*),
        type (the dataset column type, COLUMN_*) and dim."""
        if isinstance(feature, bool) or not isinstance(feature, int):
            raise TypeError("feature must be an int")
        if not 0 <= feature < self.n_features:
            raise IndexError("feature %d out of range (the model has %d)"
                             % (feature, self.n_features))
        col, kind, side, typ, dim = c_char_p(), c_int(), c_int(), c_int(), c_uint32()
        _call("model_feature_info", byref(col), byref(kind), byref(side), byref(typ),
              byref(dim), self, feature)
        return {"column": _text(col.value), "kind": kind.value, "side": side.value,
                "type": typ.value, "dim": dim.value}

    @property
    def inputs(self):
        """feature_info() of every input, in order."""
        return [self.feature_info(f) for f in range(self.n_features)]

    # serving (rec/serve.h): what the model file keeps to answer for raw ids
    def set_catalog(self, items, item_key):
        """Keep the item catalogue: one entry per distinct item_key of items, with the
        columns the item-side features read."""
        if not isinstance(items, Dataset):
            raise TypeError("items must be a Dataset")
        _call("model_set_catalog", self, items, _name(item_key, "item_key"))

    @property
    def catalog(self):
        """The catalogue's item ids, in order."""
        return [_text(_c.model_catalog_item(self, i))
                for i in range(_c.model_catalog_size(self))]

    def set_seen(self, interactions, user_key, item_key):
        """Record each user's catalogue items, for exclude_seen."""
        if not isinstance(interactions, Dataset):
            raise TypeError("interactions must be a Dataset")
        _call("model_set_seen", self, interactions, _name(user_key, "user_key"),
              _name(item_key, "item_key"))

    def _users(self, users):
        """(dataset, closer) from a Dataset or a dict of one user's values."""
        if isinstance(users, Dataset):
            return users, None
        if isinstance(users, dict):
            ds = Dataset.from_columns({k: [v] for k, v in users.items()})
            return ds, ds
        raise TypeError("users must be a Dataset or a dict of column -> value")

    def recommend_user(self, users, k=10, row=0, exclude=(), exclude_seen=True):
        """Top-k catalogue items for one user, best first: a list of (item id, score).
        users is a Dataset (with row) or a dict of the user's column values."""
        k = _count(k, "k")
        exclude = [exclude] if isinstance(exclude, str) else list(exclude)
        ds, made = self._users(users)
        try:
            row = _index(row, len(ds), "row")
            ids, scores, got = (c_char_p * max(k, 1))(), (c_float * max(k, 1))(), c_size_t()
            ex, _keep = _strings(exclude) if exclude else (None, None)
            _call("model_recommend_user", ids, scores, byref(got), k, self, ds, row, ex,
                  len(exclude), 1 if exclude_seen else 0)
            return [(_text(ids[i]), scores[i]) for i in range(got.value)]
        finally:
            if made is not None:
                made.close()

    def recommend_users(self, users, k=10, exclude_seen=True):
        """recommend_user() for every row of a Dataset: a list of lists."""
        k = _count(k, "k")
        if not isinstance(users, Dataset):
            raise TypeError("users must be a Dataset")
        n = len(users)
        ids, scores = (c_char_p * max(n * k, 1))(), (c_float * max(n * k, 1))()
        got = (c_size_t * max(n, 1))()
        _call("model_recommend_users", ids, scores, got, k, self, users,
              1 if exclude_seen else 0)
        return [[(_text(ids[r * k + i]), scores[r * k + i]) for i in range(got[r])]
                for r in range(n)]

    def score_items(self, users, item_ids, row=0):
        """Scores of the given catalogue items for one user (a Dataset row or a dict)."""
        item_ids = [item_ids] if isinstance(item_ids, str) else list(item_ids)
        for i in item_ids:
            if not isinstance(i, str):
                raise TypeError("item ids must be str")
        ds, made = self._users(users)
        try:
            row = _index(row, len(ds), "row")
            n = len(item_ids)
            buf, result = _float_result(max(n, 1))
            arr, _keep = _strings(item_ids) if n else (None, None)
            _call("model_score_items", buf, n, self, ds, row, arr)
            return result()[:n]
        finally:
            if made is not None:
                made.close()

    @property
    def clip(self):
        raise AttributeError("clip is write-only; label_range tells the range")

    @clip.setter
    def clip(self, on):
        _call("model_set_clip", self, 1 if on else 0)

    @property
    def label_range(self):
        """(min, max) of the labels seen in building and training."""
        lo, hi = c_double(), c_double()
        _call("model_label_range", byref(lo), byref(hi), self)
        return lo.value, hi.value

    def count_unknown(self, dataset):
        """Per row, how many of its values the model has never seen (a new user or item)."""
        if not isinstance(dataset, Dataset):
            raise TypeError("dataset must be a Dataset")
        n = len(dataset)
        buf = (c_uint32 * max(n, 1))()
        _call("model_count_unknown", buf, n, self, dataset)
        return list(buf)[:n]

    @property
    def n_features(self):
        return _c.model_n_features(self)

    @property
    def n_params(self):
        return _c.model_n_params(self)

    @property
    def n_layers(self):
        return _c.model_n_layers(self)

    @property
    def threads(self):
        return _c.model_threads(self)

    @threads.setter
    def threads(self, n):
        _call("model_set_threads", self, n)

    def feature_vocab(self, feature):
        """Borrowed vocabulary of a CATEGORICAL(_LIST) feature (None otherwise); it keeps
        the model alive."""
        p = _c.model_feature_vocab(self, feature)
        return Vocab(p, owner=self) if p else None

    def summary(self):
        return _snprintf_style("model_summary", self)

    def graphviz(self):
        return _snprintf_style("model_graphviz", self)

    # training and inference
    def train_epoch(self, optimizer, dataset, batch_size):
        """One shuffled epoch; returns (loss, rmse)."""
        loss, rmse = c_double(), c_double()
        _call("model_train_epoch", self, optimizer, dataset, batch_size, byref(loss),
              byref(rmse))
        return loss.value, rmse.value

    def fit(self, optimizer, train, val=None, epochs=1, batch_size=8192,
            eval_batch_size=4096, on_epoch=None):
        """Keras's model.fit. on_epoch(epoch, stats) gets a dict with loss, rmse, val_rmse,
        val_mae, seconds; returning True stops training. Returns the list of those dicts."""
        history = []
        failure = []
        names = ("loss", "rmse", "val_rmse", "val_mae", "seconds")

        def trampoline(epoch, stats, n_stats, _payload):
            try:
                d = {names[i]: stats[i] for i in range(min(n_stats, len(names)))}
                d["epoch"] = epoch
                history.append(d)
                return 1 if (on_epoch is not None and on_epoch(epoch, d)) else 0
            except BaseException as e:  # cannot unwind through C: stop, re-raise below
                failure.append(e)
                return 1

        cb = _EPOCH_FN(trampoline)
        _call("model_fit", self, optimizer, train, val, epochs, batch_size, eval_batch_size,
              cb, None)
        if failure:
            raise failure[0]
        return history

    def evaluate(self, dataset, batch_size=4096):
        """(rmse, mae) against the label column."""
        rmse, mae = c_double(), c_double()
        _call("model_evaluate", self, dataset, batch_size, byref(rmse), byref(mae))
        return rmse.value, mae.value

    def recommend(self, k, candidates, query, query_row=0, exclude=None):
        """The k best candidate rows for the user of row query_row of query: a list of
        (row, predicted rating), best first. exclude: rows of candidates to skip (a set or
        list of row numbers, e.g. what the user already rated)."""
        n = len(candidates)
        rows = (c_uint32 * max(k, 1))()
        scores = (c_float * max(k, 1))()
        got = c_size_t()
        flags = None
        if exclude:
            flags = (ctypes.c_uint8 * n)()
            for r in exclude:
                flags[r] = 1
        _call("model_recommend", rows, scores, byref(got), k, self, candidates, query,
              query_row, flags)
        return [(rows[i], scores[i]) for i in range(got.value)]

    def predict(self, dataset):
        """One prediction per row (numpy float32 array, or list of floats)."""
        n = len(dataset)
        buf, result = _float_result(n)
        _call("model_predict", self, dataset, buf, n)
        return result()

