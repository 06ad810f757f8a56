//! Safe Rust bindings to librec (`librec.so.1`), hand-written over its C API.
//!
//! Every handle owns its C object and frees it in `Drop`; every fallible call returns
//! `Result<_, RecError>`, the error carrying the status code and `rec_last_error()` read on
//! the same thread right after the failure. Handles are `Send`; `Model`, `Dataset` and
//! `Vocab` are also `Sync`, because their `&self` methods map to librec functions taking a
//! `const` handle, which docs/threading.md allows on one handle from several threads while
//! nothing mutates it, and mutation needs `&mut self`.
//!
//! ```no_run
//! use librec::{Dataset, Model, Optimizer, Preset};
//! let ds = Dataset::load_movielens("ml-100k", None)?;
//! let mut model = Model::preset(Preset::Dot, 42)?;
//! model.build(&ds)?;
//! let mut opt = Optimizer::adagrad(0.1)?;
//! model.fit(&mut opt, &ds, None, 3, 8192, 4096)?;
//! model.save("dot.rec", false)?;
//! # Ok::<(), librec::RecError>(())
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_double, c_float, c_int, c_void};
use std::path::Path;
use std::ptr::{self, NonNull};

/// The C declarations, written by hand from `include/rec/*.h` (only what the wrappers use).
#[allow(non_camel_case_types)]
pub mod ffi {
    use std::os::raw::{c_char, c_double, c_float, c_int, c_void};

    macro_rules! opaque {
        ($($name:ident),*) => {$(
            #[repr(C)]
            pub struct $name {
                _private: [u8; 0],
            }
        )*};
    }
    opaque!(rec_model, rec_dataset, rec_optimizer, rec_vocab);

    /// `rec_status`: 0 or a negative code (an `int`-sized enum in C).
    pub type rec_status = c_int;
    pub type rec_epoch_fn =
        Option<unsafe extern "C" fn(u32, *const c_double, usize, *mut c_void) -> c_int>;

    extern "C" {
        pub fn rec_version() -> u32;
        pub fn rec_version_string() -> *const c_char;
        pub fn rec_status_str(status: c_int) -> *const c_char;
        pub fn rec_last_error() -> *const c_char;

        pub fn rec_dataset_create(out: *mut *mut rec_dataset, n_rows: usize) -> rec_status;
        pub fn rec_dataset_free(ds: *mut rec_dataset);
        pub fn rec_dataset_add_strings(
            ds: *mut rec_dataset,
            name: *const c_char,
            values: *const *const c_char,
            n: usize,
        ) -> rec_status;
        pub fn rec_dataset_add_numbers(
            ds: *mut rec_dataset,
            name: *const c_char,
            values: *const c_double,
            n: usize,
        ) -> rec_status;
        pub fn rec_dataset_add_string_lists(
            ds: *mut rec_dataset,
            name: *const c_char,
            values: *const *const c_char,
            offsets: *const usize,
            n: usize,
        ) -> rec_status;
        pub fn rec_dataset_size(ds: *const rec_dataset) -> usize;
        pub fn rec_dataset_load_movielens(
            out: *mut *mut rec_dataset,
            dir: *const c_char,
            ratings_file: *const c_char,
        ) -> rec_status;
        pub fn rec_dataset_shuffle_split(
            first: *mut *mut rec_dataset,
            second: *mut *mut rec_dataset,
            ds: *const rec_dataset,
            n_first: usize,
            seed: u64,
        ) -> rec_status;

        pub fn rec_vocab_create(
            out: *mut *mut rec_vocab,
            tokens: *const *const c_char,
            n: usize,
        ) -> rec_status;
        pub fn rec_vocab_free(v: *mut rec_vocab);
        pub fn rec_vocab_size(v: *const rec_vocab) -> usize;
        pub fn rec_vocab_index(v: *const rec_vocab, token: *const c_char) -> u32;
        pub fn rec_vocab_token(v: *const rec_vocab, id: u32) -> *const c_char;

        pub fn rec_optimizer_create_adagrad(
            out: *mut *mut rec_optimizer,
            learning_rate: c_float,
        ) -> rec_status;
        pub fn rec_optimizer_create_adam(
            out: *mut *mut rec_optimizer,
            learning_rate: c_float,
        ) -> rec_status;
        pub fn rec_optimizer_create_sgd(
            out: *mut *mut rec_optimizer,
            learning_rate: c_float,
        ) -> rec_status;
        pub fn rec_optimizer_free(opt: *mut rec_optimizer);
        pub fn rec_optimizer_learning_rate(opt: *const rec_optimizer) -> c_float;

        pub fn rec_model_create(out: *mut *mut rec_model, seed: u64) -> rec_status;
        pub fn rec_model_create_preset(
            out: *mut *mut rec_model,
            preset: c_int,
            seed: u64,
        ) -> rec_status;
        pub fn rec_model_free(m: *mut rec_model);
        pub fn rec_model_add_feature(
            id_out: *mut u32,
            m: *mut rec_model,
            column: *const c_char,
            kind: c_int,
            side: c_int,
            dim: u32,
        ) -> rec_status;
        pub fn rec_model_set_interaction(m: *mut rec_model, interaction: c_int) -> rec_status;
        pub fn rec_model_set_label(m: *mut rec_model, column: *const c_char) -> rec_status;
        pub fn rec_model_label(m: *const rec_model) -> *const c_char;
        pub fn rec_model_add_layer(m: *mut rec_model, units: u32, activation: c_int) -> rec_status;
        pub fn rec_model_build(m: *mut rec_model, adapt: *const rec_dataset) -> rec_status;
        pub fn rec_model_is_built(m: *const rec_model) -> c_int;
        pub fn rec_model_set_threads(m: *mut rec_model, n_threads: u32) -> rec_status;
        pub fn rec_model_threads(m: *const rec_model) -> u32;
        pub fn rec_model_n_params(m: *const rec_model) -> usize;
        pub fn rec_model_feature_vocab(m: *const rec_model, feature: u32) -> *const rec_vocab;
        pub fn rec_model_train_epoch(
            m: *mut rec_model,
            opt: *mut rec_optimizer,
            ds: *const rec_dataset,
            batch_size: usize,
            loss_out: *mut c_double,
            rmse_out: *mut c_double,
        ) -> rec_status;
        pub fn rec_model_fit(
            m: *mut rec_model,
            opt: *mut rec_optimizer,
            train: *const rec_dataset,
            val: *const rec_dataset,
            epochs: u32,
            batch_size: usize,
            eval_batch_size: usize,
            on_epoch: rec_epoch_fn,
            payload: *mut c_void,
        ) -> rec_status;
        pub fn rec_model_evaluate(
            m: *const rec_model,
            ds: *const rec_dataset,
            batch_size: usize,
            rmse_out: *mut c_double,
            mae_out: *mut c_double,
        ) -> rec_status;
        pub fn rec_model_predict(
            m: *const rec_model,
            ds: *const rec_dataset,
            out: *mut c_float,
            n: usize,
        ) -> rec_status;
        pub fn rec_model_save(
            m: *const rec_model,
            path: *const c_char,
            include_optimizer_state: c_int,
        ) -> rec_status;
        pub fn rec_model_load(out: *mut *mut rec_model, path: *const c_char) -> rec_status;
        pub fn rec_model_summary(
            out: *mut c_char,
            cap: usize,
            len_out: *mut usize,
            m: *const rec_model,
        ) -> rec_status;
    }
}

// ---- errors ------------------------------------------------------------------------------

/// A failed librec call: the status code and the library's detail message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecError {
    /// The negative `rec_status` (codes this crate does not know are mapped to -1,
    /// `REC_ERROR`, as the C headers ask).
    pub status: i32,
    /// `rec_last_error()` at the time of the failure (or a message made by the wrapper).
    pub message: String,
}

impl RecError {
    pub const ERROR: i32 = -1;
    pub const ENOMEM: i32 = -2;
    pub const EINVAL: i32 = -3;
    pub const ENOTFOUND: i32 = -4;
    pub const EIO: i32 = -5;
    pub const EFORMAT: i32 = -6;
    pub const ESHAPE: i32 = -7;
    pub const ESTATE: i32 = -8;
    pub const ENUMERIC: i32 = -9;

    fn new(status: i32, message: impl Into<String>) -> Self {
        let status = if (-9..=-1).contains(&status) { status } else { Self::ERROR };
        RecError { status, message: message.into() }
    }

    /// The code's C name, e.g. "REC_EFORMAT".
    pub fn name(&self) -> &'static str {
        match self.status {
            -2 => "REC_ENOMEM",
            -3 => "REC_EINVAL",
            -4 => "REC_ENOTFOUND",
            -5 => "REC_EIO",
            -6 => "REC_EFORMAT",
            -7 => "REC_ESHAPE",
            -8 => "REC_ESTATE",
            -9 => "REC_ENUMERIC",
            _ => "REC_ERROR",
        }
    }
}

impl fmt::Display for RecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

impl std::error::Error for RecError {}

/// Borrowed C string → String (lossy, so invalid UTF-8 cannot fail).
unsafe fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

/// Turn a status into a Result, reading the thread's message before any other librec call.
fn check(rc: ffi::rec_status) -> Result<(), RecError> {
    if rc == 0 {
        return Ok(());
    }
    // SAFETY: rec_last_error() and rec_status_str() never return NULL; copied at once.
    let msg = unsafe { text(ffi::rec_last_error()) }.unwrap_or_default();
    let msg = if msg.is_empty() {
        unsafe { text(ffi::rec_status_str(rc)) }.unwrap_or_default()
    } else {
        msg
    };
    Err(RecError::new(rc, msg))
}

fn cstring(s: &str, what: &str) -> Result<CString, RecError> {
    CString::new(s)
        .map_err(|_| RecError::new(RecError::EINVAL, format!("{what} contains a NUL byte")))
}

fn cpath(p: &Path) -> Result<CString, RecError> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| RecError::new(RecError::EINVAL, "path contains a NUL byte"))
}

/// Owned C strings plus the pointer array the C API takes.
struct CStrings {
    _owned: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrings {
    fn new<S: AsRef<str>>(values: &[S], what: &str) -> Result<Self, RecError> {
        let owned =
            values.iter().map(|v| cstring(v.as_ref(), what)).collect::<Result<Vec<_>, _>>()?;
        let ptrs = owned.iter().map(|c| c.as_ptr()).collect();
        Ok(CStrings { _owned: owned, ptrs })
    }
}

/// Run-time version as major·10000 + minor·100 + patch.
pub fn version() -> u32 {
    unsafe { ffi::rec_version() }
}

/// Run-time version string, e.g. "1.1.0".
pub fn version_string() -> String {
    unsafe { text(ffi::rec_version_string()) }.unwrap_or_default()
}

mod inputs;
mod serve;
mod table;
pub use inputs::{FeatureInfo, JoinPolicy};
pub use table::{ColumnType, Missing, TableOptions, TableType};

// ---- enums (values fixed by the C headers) ---------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    User = 0,
    Item = 1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Categorical = 0,
    Bucketized = 1,
    Numeric = 2,
    Text = 3,
    CategoricalList = 4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    Dot = 0,
    Mlp = 1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Linear = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Dot = 0,
    OneLayer = 1,
    Enriched = 2,
}

/// Build a handle through a C constructor taking `out` first.
fn create<T>(f: impl FnOnce(*mut *mut T) -> ffi::rec_status) -> Result<NonNull<T>, RecError> {
    let mut out: *mut T = ptr::null_mut();
    check(f(&mut out))?;
    NonNull::new(out).ok_or_else(|| RecError::new(RecError::ERROR, "constructor returned NULL"))
}

// ---- Dataset -------------------------------------------------------------------------------

/// A table of named, typed columns (`rec_dataset`).
pub struct Dataset(NonNull<ffi::rec_dataset>);

// SAFETY: librec has no global state; `&self` methods call const functions only.
unsafe impl Send for Dataset {}
unsafe impl Sync for Dataset {}

impl Drop for Dataset {
    fn drop(&mut self) {
        unsafe { ffi::rec_dataset_free(self.0.as_ptr()) }
    }
}

impl Dataset {
    /// An empty dataset of `n_rows` rows; add columns next.
    pub fn new(n_rows: usize) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_dataset_create(out, n_rows) }).map(Dataset)
    }

    /// MovieLens 100K joined with its movie and user features (`rec/movielens.h`).
    pub fn load_movielens(
        dir: impl AsRef<Path>,
        ratings_file: Option<&str>,
    ) -> Result<Self, RecError> {
        let d = cpath(dir.as_ref())?;
        let f = ratings_file.map(|f| cstring(f, "ratings_file")).transpose()?;
        let fp = f.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        create(|out| unsafe { ffi::rec_dataset_load_movielens(out, d.as_ptr(), fp) }).map(Dataset)
    }

    pub fn add_strings<S: AsRef<str>>(&mut self, name: &str, values: &[S]) -> Result<(), RecError> {
        let n = cstring(name, "name")?;
        let v = CStrings::new(values, "a value")?;
        check(unsafe {
            ffi::rec_dataset_add_strings(self.0.as_ptr(), n.as_ptr(), v.ptrs.as_ptr(), v.ptrs.len())
        })
    }

    pub fn add_numbers(&mut self, name: &str, values: &[f64]) -> Result<(), RecError> {
        let n = cstring(name, "name")?;
        check(unsafe {
            ffi::rec_dataset_add_numbers(self.0.as_ptr(), n.as_ptr(), values.as_ptr(), values.len())
        })
    }

    pub fn add_string_lists<S: AsRef<str>>(
        &mut self,
        name: &str,
        rows: &[Vec<S>],
    ) -> Result<(), RecError> {
        let n = cstring(name, "name")?;
        let flat: Vec<&str> = rows.iter().flat_map(|r| r.iter().map(|s| s.as_ref())).collect();
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0usize);
        for r in rows {
            offsets.push(offsets.last().unwrap() + r.len());
        }
        let v = CStrings::new(&flat, "a value")?;
        check(unsafe {
            ffi::rec_dataset_add_string_lists(
                self.0.as_ptr(),
                n.as_ptr(),
                v.ptrs.as_ptr(),
                offsets.as_ptr(),
                rows.len(),
            )
        })
    }

    pub fn len(&self) -> usize {
        unsafe { ffi::rec_dataset_size(self.0.as_ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Seeded shuffle, then (the first `n_first` rows, the rest).
    pub fn shuffle_split(&self, n_first: usize, seed: u64) -> Result<(Dataset, Dataset), RecError> {
        let (mut a, mut b) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe {
            ffi::rec_dataset_shuffle_split(&mut a, &mut b, self.0.as_ptr(), n_first, seed)
        })?;
        match (NonNull::new(a), NonNull::new(b)) {
            (Some(a), Some(b)) => Ok((Dataset(a), Dataset(b))),
            _ => Err(RecError::new(RecError::ERROR, "rec_dataset_shuffle_split returned NULL")),
        }
    }
}

// ---- Vocab ----------------------------------------------------------------------------------

/// Keras StringLookup: sorted unique tokens take ids 1..n, everything else 0.
pub struct Vocab(NonNull<ffi::rec_vocab>);

unsafe impl Send for Vocab {}
unsafe impl Sync for Vocab {}

impl Drop for Vocab {
    fn drop(&mut self) {
        unsafe { ffi::rec_vocab_free(self.0.as_ptr()) }
    }
}

/// Read-only access shared by an owned [`Vocab`] and a borrowed [`VocabRef`].
unsafe fn vocab_index(v: *const ffi::rec_vocab, token: &str) -> u32 {
    match CString::new(token) {
        Ok(c) => ffi::rec_vocab_index(v, c.as_ptr()),
        Err(_) => 0, // a token with a NUL byte cannot be in the vocabulary
    }
}

impl Vocab {
    pub fn new<S: AsRef<str>>(tokens: &[S]) -> Result<Self, RecError> {
        let t = CStrings::new(tokens, "a token")?;
        create(|out| unsafe { ffi::rec_vocab_create(out, t.ptrs.as_ptr(), t.ptrs.len()) })
            .map(Vocab)
    }

    /// Number of ids, the out-of-vocabulary slot 0 included.
    pub fn len(&self) -> usize {
        unsafe { ffi::rec_vocab_size(self.0.as_ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// Id of a token, 0 when unknown.
    pub fn index(&self, token: &str) -> u32 {
        unsafe { vocab_index(self.0.as_ptr(), token) }
    }

    /// Token of an id (None for 0 and out of range).
    pub fn token(&self, id: u32) -> Option<String> {
        unsafe { text(ffi::rec_vocab_token(self.0.as_ptr(), id)) }
    }
}

/// A model's vocabulary, borrowed: valid while the model is borrowed immutably.
pub struct VocabRef<'m> {
    ptr: NonNull<ffi::rec_vocab>,
    _model: PhantomData<&'m Model>,
}

impl VocabRef<'_> {
    pub fn len(&self) -> usize {
        unsafe { ffi::rec_vocab_size(self.ptr.as_ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    pub fn index(&self, token: &str) -> u32 {
        unsafe { vocab_index(self.ptr.as_ptr(), token) }
    }

    pub fn token(&self, id: u32) -> Option<String> {
        unsafe { text(ffi::rec_vocab_token(self.ptr.as_ptr(), id)) }
    }
}

// ---- Optimizer ------------------------------------------------------------------------------

/// Adagrad (Keras defaults: initial accumulator 0.1, epsilon 1e-7).
pub struct Optimizer(NonNull<ffi::rec_optimizer>);

unsafe impl Send for Optimizer {}

impl Drop for Optimizer {
    fn drop(&mut self) {
        unsafe { ffi::rec_optimizer_free(self.0.as_ptr()) }
    }
}

impl Optimizer {
    pub fn adagrad(learning_rate: f32) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_optimizer_create_adagrad(out, learning_rate) })
            .map(Optimizer)
    }

    /// Adam (β1 0.9, β2 0.999, ε 1e-7; lazy on embedding tables).
    pub fn adam(learning_rate: f32) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_optimizer_create_adam(out, learning_rate) }).map(Optimizer)
    }

    /// Plain SGD: w ← w − lr·g.
    pub fn sgd(learning_rate: f32) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_optimizer_create_sgd(out, learning_rate) }).map(Optimizer)
    }

    pub fn learning_rate(&self) -> f32 {
        unsafe { ffi::rec_optimizer_learning_rate(self.0.as_ptr()) }
    }
}

// ---- Model ----------------------------------------------------------------------------------

/// Statistics of one epoch of [`Model::fit_with`] (NaN validation values without one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    pub epoch: u32,
    pub loss: f64,
    pub rmse: f64,
    pub val_rmse: f64,
    pub val_mae: f64,
    pub seconds: f64,
}

/// A ranking model (`rec/model.h`).
pub struct Model(NonNull<ffi::rec_model>);

unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { ffi::rec_model_free(self.0.as_ptr()) }
    }
}

struct FitPayload<'a> {
    on_epoch: &'a mut dyn FnMut(&EpochStats) -> bool,
    panicked: Option<Box<dyn std::any::Any + Send>>,
}

unsafe extern "C" fn fit_trampoline(
    epoch: u32,
    stats: *const c_double,
    n: usize,
    payload: *mut c_void,
) -> c_int {
    let p = &mut *(payload as *mut FitPayload);
    let s = std::slice::from_raw_parts(stats, n);
    let get = |i: usize| s.get(i).copied().unwrap_or(f64::NAN);
    let st = EpochStats {
        epoch,
        loss: get(0),
        rmse: get(1),
        val_rmse: get(2),
        val_mae: get(3),
        seconds: get(4),
    };
    // a panic must not unwind through C: catch it, stop training, resume it after
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (p.on_epoch)(&st))) {
        Ok(stop) => stop as c_int,
        Err(e) => {
            p.panicked = Some(e);
            1
        }
    }
}

impl Model {
    /// An empty description with no label (set one with [`Model::set_label`] before training
    /// or evaluating); `seed` drives weight initialisation and batch order.
    pub fn new(seed: u64) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_model_create(out, seed) }).map(Model)
    }

    /// One of the tutorial's models, reading the MovieLens column names (label "user_rating").
    pub fn preset(preset: Preset, seed: u64) -> Result<Self, RecError> {
        create(|out| unsafe { ffi::rec_model_create_preset(out, preset as c_int, seed) }).map(Model)
    }

    /// A model saved by [`Model::save`] (REC_EIO, REC_EFORMAT otherwise).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, RecError> {
        let p = cpath(path.as_ref())?;
        create(|out| unsafe { ffi::rec_model_load(out, p.as_ptr()) }).map(Model)
    }

    /// Atomic save; with the optimizer state when training is to resume from the file.
    pub fn save(
        &self,
        path: impl AsRef<Path>,
        include_optimizer_state: bool,
    ) -> Result<(), RecError> {
        let p = cpath(path.as_ref())?;
        check(unsafe {
            ffi::rec_model_save(self.0.as_ptr(), p.as_ptr(), include_optimizer_state as c_int)
        })
    }

    /// Add an input feature; returns its index.
    pub fn add_feature(
        &mut self,
        column: &str,
        kind: FeatureKind,
        side: Side,
        dim: u32,
    ) -> Result<u32, RecError> {
        let c = cstring(column, "column")?;
        let mut id = 0u32;
        check(unsafe {
            ffi::rec_model_add_feature(
                &mut id,
                self.0.as_ptr(),
                c.as_ptr(),
                kind as c_int,
                side as c_int,
                dim,
            )
        })?;
        Ok(id)
    }

    /// The number column the model predicts (before build); training and evaluation need one.
    pub fn set_label(&mut self, column: &str) -> Result<(), RecError> {
        let c = cstring(column, "column")?;
        check(unsafe { ffi::rec_model_set_label(self.0.as_ptr(), c.as_ptr()) })
    }

    /// The label column, or None when none is set.
    pub fn label(&self) -> Option<String> {
        unsafe { text(ffi::rec_model_label(self.0.as_ptr())) }
    }

    pub fn set_interaction(&mut self, interaction: Interaction) -> Result<(), RecError> {
        check(unsafe { ffi::rec_model_set_interaction(self.0.as_ptr(), interaction as c_int) })
    }

    pub fn add_layer(&mut self, units: u32, activation: Activation) -> Result<(), RecError> {
        check(unsafe { ffi::rec_model_add_layer(self.0.as_ptr(), units, activation as c_int) })
    }

    /// Adapt the preprocessing on `adapt` and allocate the seeded weights.
    pub fn build(&mut self, adapt: &Dataset) -> Result<(), RecError> {
        check(unsafe { ffi::rec_model_build(self.0.as_ptr(), adapt.0.as_ptr()) })
    }

    /// Threads used by this model's training, evaluation and prediction (1..256).
    pub fn set_threads(&mut self, n: u32) -> Result<(), RecError> {
        check(unsafe { ffi::rec_model_set_threads(self.0.as_ptr(), n) })
    }

    pub fn threads(&self) -> u32 {
        unsafe { ffi::rec_model_threads(self.0.as_ptr()) }
    }

    pub fn is_built(&self) -> bool {
        unsafe { ffi::rec_model_is_built(self.0.as_ptr()) != 0 }
    }

    pub fn n_params(&self) -> usize {
        unsafe { ffi::rec_model_n_params(self.0.as_ptr()) }
    }

    /// The vocabulary of a CATEGORICAL(_LIST) feature, borrowed from the model.
    pub fn feature_vocab(&self, feature: u32) -> Option<VocabRef<'_>> {
        let p = unsafe { ffi::rec_model_feature_vocab(self.0.as_ptr(), feature) };
        NonNull::new(p as *mut ffi::rec_vocab).map(|ptr| VocabRef { ptr, _model: PhantomData })
    }

    /// One shuffled epoch; returns (loss, rmse).
    pub fn train_epoch(
        &mut self,
        opt: &mut Optimizer,
        ds: &Dataset,
        batch_size: usize,
    ) -> Result<(f64, f64), RecError> {
        let (mut loss, mut rmse) = (0.0, 0.0);
        check(unsafe {
            ffi::rec_model_train_epoch(
                self.0.as_ptr(),
                opt.0.as_ptr(),
                ds.0.as_ptr(),
                batch_size,
                &mut loss,
                &mut rmse,
            )
        })?;
        Ok((loss, rmse))
    }

    /// Keras's model.fit without a callback.
    pub fn fit(
        &mut self,
        opt: &mut Optimizer,
        train: &Dataset,
        val: Option<&Dataset>,
        epochs: u32,
        batch_size: usize,
        eval_batch_size: usize,
    ) -> Result<(), RecError> {
        check(unsafe {
            ffi::rec_model_fit(
                self.0.as_ptr(),
                opt.0.as_ptr(),
                train.0.as_ptr(),
                val.map_or(ptr::null(), |v| v.0.as_ptr()),
                epochs,
                batch_size,
                eval_batch_size,
                None,
                ptr::null_mut(),
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    /// Keras's model.fit, calling `on_epoch` after each epoch; returning true stops early.
    /// A panic in `on_epoch` stops training and is resumed once the C call has returned.
    pub fn fit_with(
        &mut self,
        opt: &mut Optimizer,
        train: &Dataset,
        val: Option<&Dataset>,
        epochs: u32,
        batch_size: usize,
        eval_batch_size: usize,
        mut on_epoch: impl FnMut(&EpochStats) -> bool,
    ) -> Result<(), RecError> {
        let mut payload = FitPayload { on_epoch: &mut on_epoch, panicked: None };
        let rc = unsafe {
            ffi::rec_model_fit(
                self.0.as_ptr(),
                opt.0.as_ptr(),
                train.0.as_ptr(),
                val.map_or(ptr::null(), |v| v.0.as_ptr()),
                epochs,
                batch_size,
                eval_batch_size,
                Some(fit_trampoline),
                &mut payload as *mut FitPayload as *mut c_void,
            )
        };
        let result = check(rc);
        if let Some(p) = payload.panicked.take() {
            std::panic::resume_unwind(p);
        }
        result
    }

    /// (rmse, mae) against the label column.
    pub fn evaluate(&self, ds: &Dataset, batch_size: usize) -> Result<(f64, f64), RecError> {
        let (mut rmse, mut mae) = (0.0, 0.0);
        check(unsafe {
            ffi::rec_model_evaluate(self.0.as_ptr(), ds.0.as_ptr(), batch_size, &mut rmse, &mut mae)
        })?;
        Ok((rmse, mae))
    }

    /// One prediction per row of `ds`.
    pub fn predict(&self, ds: &Dataset) -> Result<Vec<f32>, RecError> {
        let n = ds.len();
        let mut out = vec![0.0f32; n];
        check(unsafe {
            ffi::rec_model_predict(
                self.0.as_ptr(),
                ds.0.as_ptr(),
                out.as_mut_ptr() as *mut c_float,
                n,
            )
        })?;
        Ok(out)
    }

    /// Keras-style model.summary() text.
    pub fn summary(&self) -> Result<String, RecError> {
        let mut len = 0usize;
        check(unsafe { ffi::rec_model_summary(ptr::null_mut(), 0, &mut len, self.0.as_ptr()) })?;
        let mut buf = vec![0u8; len + 1];
        check(unsafe {
            ffi::rec_model_summary(
                buf.as_mut_ptr() as *mut c_char,
                buf.len(),
                &mut len,
                self.0.as_ptr(),
            )
        })?;
        buf.truncate(len);
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_maps_to_rec_error() {
        let e = RecError::new(-42, "future");
        assert_eq!(e.status, RecError::ERROR);
        assert_eq!(e.name(), "REC_ERROR");
        assert_eq!(RecError::new(-6, "x").to_string(), "REC_EFORMAT: x");
    }

    #[test]
    fn nul_bytes_are_refused_before_reaching_c() {
        let e = Vocab::new(&["a\0b"]).err().unwrap();
        assert_eq!(e.status, RecError::EINVAL);
        assert!(e.message.contains("NUL"));
    }
}
