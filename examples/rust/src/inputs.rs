//! Your own column names: side-table joins (`rec_dataset_join`), presets over a mapping of
//! roles to columns, and the inputs a model reads (`rec_model_feature_info`).

use std::os::raw::{c_char, c_int};
use std::ptr;

use crate::{
    check, create, cstring, text, ColumnType, Dataset, FeatureKind, Model, Preset, RecError, Side,
};

mod sys {
    use std::os::raw::{c_char, c_int};
    extern "C" {
        pub fn rec_dataset_join(
            n_unmatched_out: *mut usize,
            n_unused_out: *mut usize,
            ds: *mut crate::ffi::rec_dataset,
            key: *const c_char,
            side: *const crate::ffi::rec_dataset,
            side_key: *const c_char,
            policy: c_int,
        ) -> c_int;
        pub fn rec_model_create_preset_columns(
            out: *mut *mut crate::ffi::rec_model,
            preset: c_int,
            columns: *const *const c_char,
            seed: u64,
        ) -> c_int;
        pub fn rec_model_feature_info(
            column_out: *mut *const c_char,
            kind_out: *mut c_int,
            side_out: *mut c_int,
            type_out: *mut c_int,
            dim_out: *mut u32,
            m: *const crate::ffi::rec_model,
            feature: u32,
        ) -> c_int;
        pub fn rec_model_n_features(m: *const crate::ffi::rec_model) -> usize;
    }
}

/// What a join does with keys that have no side row (`rec_join_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinPolicy {
    /// Every key must have a side row (else REC_ENOTFOUND naming the first missing key).
    RequireMatch = 0,
    /// Keys without one get NaN, "" or an empty list.
    FillMissing = 1,
    /// As RequireMatch, and every side row must be used.
    Exact = 2,
}

/// One input of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureInfo {
    pub column: String,
    pub kind: FeatureKind,
    pub side: Side,
    /// The dataset column type the feature reads.
    pub column_type: ColumnType,
    pub dim: u32,
}

impl Dataset {
    /// Copy `side`'s columns onto this dataset by key; returns (keys without a side row, side
    /// rows no key uses). The dataset is unchanged on failure.
    pub fn join(
        &mut self,
        key: &str,
        side: &Dataset,
        side_key: Option<&str>,
        policy: JoinPolicy,
    ) -> Result<(usize, usize), RecError> {
        let k = cstring(key, "key")?;
        let sk = side_key.map(|s| cstring(s, "side_key")).transpose()?;
        let skp = sk.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let (mut unmatched, mut unused) = (0usize, 0usize);
        check(unsafe {
            sys::rec_dataset_join(
                &mut unmatched,
                &mut unused,
                self.0.as_ptr(),
                k.as_ptr(),
                side.0.as_ptr(),
                skp,
                policy as c_int,
            )
        })?;
        Ok((unmatched, unused))
    }
}

impl Model {
    /// A tutorial model over your columns: `roles` pairs "user", "item", "label" (and, for
    /// `Preset::Enriched`, "time" and optionally "text") with column names.
    pub fn preset_columns(
        preset: Preset,
        roles: &[(&str, &str)],
        seed: u64,
    ) -> Result<Self, RecError> {
        let mut owned = Vec::with_capacity(2 * roles.len());
        for (role, column) in roles {
            owned.push(cstring(role, "role")?);
            owned.push(cstring(column, "column")?);
        }
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(ptr::null());
        create(|out| unsafe {
            sys::rec_model_create_preset_columns(out, preset as c_int, ptrs.as_ptr(), seed)
        })
        .map(Model)
    }

    /// The number of input features.
    pub fn n_features(&self) -> usize {
        unsafe { sys::rec_model_n_features(self.0.as_ptr()) }
    }

    /// What input `feature` reads.
    pub fn feature_info(&self, feature: u32) -> Result<FeatureInfo, RecError> {
        let mut column: *const c_char = ptr::null();
        let (mut kind, mut side, mut ty, mut dim) = (0 as c_int, 0 as c_int, 0 as c_int, 0u32);
        check(unsafe {
            sys::rec_model_feature_info(
                &mut column,
                &mut kind,
                &mut side,
                &mut ty,
                &mut dim,
                self.0.as_ptr(),
                feature,
            )
        })?;
        let bad =
            |what: &str, v: c_int| RecError::new(RecError::ERROR, format!("unknown {what} {v}"));
        Ok(FeatureInfo {
            column: unsafe { text(column) }.unwrap_or_default(),
            kind: match kind {
                0 => FeatureKind::Categorical,
                1 => FeatureKind::Bucketized,
                2 => FeatureKind::Numeric,
                3 => FeatureKind::Text,
                4 => FeatureKind::CategoricalList,
                v => return Err(bad("feature kind", v)),
            },
            side: match side {
                0 => Side::User,
                1 => Side::Item,
                v => return Err(bad("side", v)),
            },
            column_type: match ty {
                0 => ColumnType::String,
                1 => ColumnType::Number,
                2 => ColumnType::StringList,
                v => return Err(bad("column type", v)),
            },
            dim,
        })
    }

    /// `feature_info` of every input, in order.
    pub fn inputs(&self) -> Result<Vec<FeatureInfo>, RecError> {
        (0..self.n_features() as u32).map(|f| self.feature_info(f)).collect()
    }
}
