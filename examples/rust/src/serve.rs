//! Serving from the model file (`rec/serve.h`): the item catalogue and each user's seen
//! items kept in the model, top-k and scores for raw ids, clipping to the label range, and
//! the count of inputs a model has never seen.

use std::ffi::CString;
use std::os::raw::{c_char, c_double, c_int};
use std::ptr;

use crate::{check, cstring, text, Dataset, Model, RecError};

mod sys {
    use std::os::raw::{c_char, c_double, c_float, c_int};
    type M = crate::ffi::rec_model;
    type D = crate::ffi::rec_dataset;
    extern "C" {
        pub fn rec_model_set_catalog(m: *mut M, items: *const D, key: *const c_char) -> c_int;
        pub fn rec_model_catalog_size(m: *const M) -> usize;
        pub fn rec_model_catalog_item(m: *const M, i: usize) -> *const c_char;
        pub fn rec_model_set_seen(
            m: *mut M,
            interactions: *const D,
            user_key: *const c_char,
            item_key: *const c_char,
        ) -> c_int;
        pub fn rec_model_recommend_user(
            ids_out: *mut *const c_char,
            scores_out: *mut c_float,
            n_out: *mut usize,
            k: usize,
            m: *const M,
            users: *const D,
            row: usize,
            exclude: *const *const c_char,
            n_exclude: usize,
            exclude_seen: c_int,
        ) -> c_int;
        pub fn rec_model_recommend_users(
            ids_out: *mut *const c_char,
            scores_out: *mut c_float,
            n_out: *mut usize,
            k: usize,
            m: *const M,
            users: *const D,
            exclude_seen: c_int,
        ) -> c_int;
        pub fn rec_model_score_items(
            scores_out: *mut c_float,
            n: usize,
            m: *const M,
            users: *const D,
            row: usize,
            item_ids: *const *const c_char,
        ) -> c_int;
        pub fn rec_model_set_clip(m: *mut M, clip: c_int) -> c_int;
        pub fn rec_model_label_range(lo: *mut c_double, hi: *mut c_double, m: *const M) -> c_int;
        pub fn rec_model_count_unknown(
            counts: *mut u32,
            n: usize,
            m: *const M,
            ds: *const D,
        ) -> c_int;
    }
}

fn c_strings(values: &[&str], what: &str) -> Result<(Vec<CString>, Vec<*const c_char>), RecError> {
    let owned = values.iter().map(|v| cstring(v, what)).collect::<Result<Vec<_>, _>>()?;
    let ptrs = owned.iter().map(|c| c.as_ptr()).collect();
    Ok((owned, ptrs))
}

impl Model {
    /// Keep the item catalogue: one entry per distinct `item_key` of `items`, with the columns
    /// the item-side features read. Saved with the model.
    pub fn set_catalog(&mut self, items: &Dataset, item_key: &str) -> Result<(), RecError> {
        let k = cstring(item_key, "item_key")?;
        check(unsafe { sys::rec_model_set_catalog(self.0.as_ptr(), items.0.as_ptr(), k.as_ptr()) })
    }

    /// The catalogue's item ids, in order.
    pub fn catalog(&self) -> Vec<String> {
        let n = unsafe { sys::rec_model_catalog_size(self.0.as_ptr()) };
        (0..n)
            .map(|i| {
                unsafe { text(sys::rec_model_catalog_item(self.0.as_ptr(), i)) }.unwrap_or_default()
            })
            .collect()
    }

    /// Record each user's catalogue items, for `exclude_seen`.
    pub fn set_seen(
        &mut self,
        interactions: &Dataset,
        user_key: &str,
        item_key: &str,
    ) -> Result<(), RecError> {
        let u = cstring(user_key, "user_key")?;
        let i = cstring(item_key, "item_key")?;
        check(unsafe {
            sys::rec_model_set_seen(
                self.0.as_ptr(),
                interactions.0.as_ptr(),
                u.as_ptr(),
                i.as_ptr(),
            )
        })
    }

    /// Top-k catalogue items for row `row` of `users`, best first, as (id, score).
    pub fn recommend_user(
        &self,
        users: &Dataset,
        row: usize,
        k: usize,
        exclude: &[&str],
        exclude_seen: bool,
    ) -> Result<Vec<(String, f32)>, RecError> {
        if row >= users.len() {
            return Err(RecError::new(
                RecError::EINVAL,
                format!("row {row} is beyond the users' {} rows", users.len()),
            ));
        }
        let (_owned, ex) = c_strings(exclude, "an excluded id")?;
        let mut ids: Vec<*const c_char> = vec![ptr::null(); k.max(1)];
        let mut scores = vec![0f32; k.max(1)];
        let mut n = 0usize;
        check(unsafe {
            sys::rec_model_recommend_user(
                ids.as_mut_ptr(),
                scores.as_mut_ptr(),
                &mut n,
                k,
                self.0.as_ptr(),
                users.0.as_ptr(),
                row,
                if ex.is_empty() { ptr::null() } else { ex.as_ptr() },
                ex.len(),
                exclude_seen as c_int,
            )
        })?;
        Ok((0..n.min(k))
            .map(|i| (unsafe { text(ids[i]) }.unwrap_or_default(), scores[i]))
            .collect())
    }

    /// `recommend_user` for every row of `users`.
    pub fn recommend_users(
        &self,
        users: &Dataset,
        k: usize,
        exclude_seen: bool,
    ) -> Result<Vec<Vec<(String, f32)>>, RecError> {
        let rows = users.len();
        let slots = rows
            .checked_mul(k)
            .ok_or_else(|| RecError::new(RecError::EINVAL, "rows × k overflows"))?;
        let mut ids: Vec<*const c_char> = vec![ptr::null(); slots.max(1)];
        let mut scores = vec![0f32; slots.max(1)];
        let mut n = vec![0usize; rows.max(1)];
        check(unsafe {
            sys::rec_model_recommend_users(
                ids.as_mut_ptr(),
                scores.as_mut_ptr(),
                n.as_mut_ptr(),
                k,
                self.0.as_ptr(),
                users.0.as_ptr(),
                exclude_seen as c_int,
            )
        })?;
        Ok((0..rows)
            .map(|r| {
                (0..n[r].min(k))
                    .map(|i| {
                        (unsafe { text(ids[r * k + i]) }.unwrap_or_default(), scores[r * k + i])
                    })
                    .collect()
            })
            .collect())
    }

    /// Scores of the given catalogue items for row `row` of `users`.
    pub fn score_items(
        &self,
        users: &Dataset,
        row: usize,
        item_ids: &[&str],
    ) -> Result<Vec<f32>, RecError> {
        if row >= users.len() {
            return Err(RecError::new(
                RecError::EINVAL,
                format!("row {row} is beyond the users' {} rows", users.len()),
            ));
        }
        let (_owned, ids) = c_strings(item_ids, "an item id")?;
        let mut out = vec![0f32; ids.len().max(1)];
        check(unsafe {
            sys::rec_model_score_items(
                out.as_mut_ptr(),
                ids.len(),
                self.0.as_ptr(),
                users.0.as_ptr(),
                row,
                if ids.is_empty() { ptr::null() } else { ids.as_ptr() },
            )
        })?;
        out.truncate(ids.len());
        Ok(out)
    }

    /// Keep predictions within the label range (saved with the model).
    pub fn set_clip(&mut self, clip: bool) -> Result<(), RecError> {
        check(unsafe { sys::rec_model_set_clip(self.0.as_ptr(), clip as c_int) })
    }

    /// (min, max) of the labels seen in building and training.
    pub fn label_range(&self) -> Result<(f64, f64), RecError> {
        let (mut lo, mut hi): (c_double, c_double) = (0.0, 0.0);
        check(unsafe { sys::rec_model_label_range(&mut lo, &mut hi, self.0.as_ptr()) })?;
        Ok((lo, hi))
    }

    /// Per row of `ds`, how many of its values the model has never seen.
    pub fn count_unknown(&self, ds: &Dataset) -> Result<Vec<u32>, RecError> {
        let n = ds.len();
        let mut out = vec![0u32; n.max(1)];
        check(unsafe {
            sys::rec_model_count_unknown(out.as_mut_ptr(), n, self.0.as_ptr(), ds.0.as_ptr())
        })?;
        out.truncate(n);
        Ok(out)
    }
}
