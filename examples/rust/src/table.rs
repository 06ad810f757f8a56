//! Tables by header names (`rec/table.h`): `TableOptions` and `Dataset::load_table`.

use std::os::raw::{c_char, c_double, c_int};
use std::path::Path;
use std::ptr::{self, NonNull};

use crate::{check, cpath, create, cstring, ffi, text, Dataset, RecError};

#[allow(non_camel_case_types)]
mod sys {
    use std::os::raw::{c_char, c_double, c_int};

    #[repr(C)]
    pub struct rec_table_options {
        _private: [u8; 0],
    }

    extern "C" {
        pub fn rec_table_options_create(out: *mut *mut rec_table_options) -> c_int;
        pub fn rec_table_options_free(o: *mut rec_table_options);
        pub fn rec_table_options_set_delimiter(o: *mut rec_table_options, d: c_char) -> c_int;
        pub fn rec_table_options_set_quote(o: *mut rec_table_options, q: c_char) -> c_int;
        pub fn rec_table_options_set_header(o: *mut rec_table_options, h: c_int) -> c_int;
        pub fn rec_table_options_set_infer_rows(o: *mut rec_table_options, n: usize) -> c_int;
        pub fn rec_table_options_set_skip_blank_lines(o: *mut rec_table_options, s: c_int)
            -> c_int;
        pub fn rec_table_options_set_column(
            o: *mut rec_table_options,
            column: *const c_char,
            kind: c_int,
            rename: *const c_char,
        ) -> c_int;
        pub fn rec_table_options_set_only_listed(o: *mut rec_table_options, only: c_int) -> c_int;
        pub fn rec_table_options_set_list_separator(
            o: *mut rec_table_options,
            column: *const c_char,
            sep: c_char,
        ) -> c_int;
        pub fn rec_table_options_set_missing(
            o: *mut rec_table_options,
            column: *const c_char,
            policy: c_int,
        ) -> c_int;
        pub fn rec_dataset_load_table(
            out: *mut *mut super::ffi::rec_dataset,
            path: *const c_char,
            o: *const rec_table_options,
        ) -> c_int;
        pub fn rec_dataset_parse_table(
            out: *mut *mut super::ffi::rec_dataset,
            data: *const c_char,
            size: usize,
            name: *const c_char,
            o: *const rec_table_options,
        ) -> c_int;
        pub fn rec_dataset_n_columns(ds: *const super::ffi::rec_dataset) -> usize;
        pub fn rec_dataset_column_name(
            ds: *const super::ffi::rec_dataset,
            col: u32,
        ) -> *const c_char;
        pub fn rec_dataset_column_type(ds: *const super::ffi::rec_dataset, col: u32) -> c_int;
        pub fn rec_dataset_column(
            index_out: *mut u32,
            ds: *const super::ffi::rec_dataset,
            name: *const c_char,
        ) -> c_int;
        pub fn rec_dataset_string(
            ds: *const super::ffi::rec_dataset,
            col: u32,
            row: usize,
        ) -> *const c_char;
        pub fn rec_dataset_number(
            ds: *const super::ffi::rec_dataset,
            col: u32,
            row: usize,
        ) -> c_double;
    }
}

/// How a column is read (`rec_table_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableType {
    /// Inferred from the first rows.
    Auto = 0,
    String = 1,
    Number = 2,
    /// An integer id kept as a string ("0042" stays "0042").
    Id = 3,
    /// An integer (|v| ≤ 2^53) kept as a number.
    Integer = 4,
    StringList = 5,
    Skip = 6,
}

/// What an empty field means (`rec_missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// NaN for numbers, "" for strings, an empty list for lists.
    Allow = 0,
    /// An error naming the line and the column.
    Error = 1,
}

/// A column's type in a dataset (`rec_column_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Number,
    StringList,
}

/// Options of the table loader, built by chained setters:
/// `TableOptions::new()?.delimiter(b'\t')?.column("sku", TableType::String, Some("item"))?`.
pub struct TableOptions(NonNull<sys::rec_table_options>);

// SAFETY: the options are only read by the loader (`const`), mutated through `&mut self`.
unsafe impl Send for TableOptions {}
unsafe impl Sync for TableOptions {}

impl Drop for TableOptions {
    fn drop(&mut self) {
        unsafe { sys::rec_table_options_free(self.0.as_ptr()) }
    }
}

fn byte(b: u8) -> c_char {
    b as c_char
}

impl TableOptions {
    /// The defaults: ',' delimiter, '"' quote, a header, types inferred from 1000 rows.
    pub fn new() -> Result<Self, RecError> {
        create(|out| unsafe { sys::rec_table_options_create(out) }).map(TableOptions)
    }

    pub fn delimiter(self, d: u8) -> Result<Self, RecError> {
        check(unsafe { sys::rec_table_options_set_delimiter(self.0.as_ptr(), byte(d)) })?;
        Ok(self)
    }

    /// The quote byte, or `None` for no quoting.
    pub fn quote(self, q: Option<u8>) -> Result<Self, RecError> {
        let q = q.map_or(0, byte);
        check(unsafe { sys::rec_table_options_set_quote(self.0.as_ptr(), q) })?;
        Ok(self)
    }

    pub fn header(self, has_header: bool) -> Result<Self, RecError> {
        check(unsafe { sys::rec_table_options_set_header(self.0.as_ptr(), has_header as c_int) })?;
        Ok(self)
    }

    pub fn infer_rows(self, n: usize) -> Result<Self, RecError> {
        check(unsafe { sys::rec_table_options_set_infer_rows(self.0.as_ptr(), n) })?;
        Ok(self)
    }

    pub fn skip_blank_lines(self, skip: bool) -> Result<Self, RecError> {
        check(unsafe {
            sys::rec_table_options_set_skip_blank_lines(self.0.as_ptr(), skip as c_int)
        })?;
        Ok(self)
    }

    pub fn only_listed(self, only: bool) -> Result<Self, RecError> {
        check(unsafe { sys::rec_table_options_set_only_listed(self.0.as_ptr(), only as c_int) })?;
        Ok(self)
    }

    /// A column's type and, with `rename`, its name in the dataset.
    pub fn column(
        self,
        column: &str,
        kind: TableType,
        rename: Option<&str>,
    ) -> Result<Self, RecError> {
        let c = cstring(column, "column")?;
        let r = rename.map(|r| cstring(r, "rename")).transpose()?;
        let rp = r.as_ref().map_or(ptr::null(), |r| r.as_ptr());
        check(unsafe {
            sys::rec_table_options_set_column(self.0.as_ptr(), c.as_ptr(), kind as c_int, rp)
        })?;
        Ok(self)
    }

    pub fn list_separator(self, column: &str, sep: u8) -> Result<Self, RecError> {
        let c = cstring(column, "column")?;
        check(unsafe {
            sys::rec_table_options_set_list_separator(self.0.as_ptr(), c.as_ptr(), byte(sep))
        })?;
        Ok(self)
    }

    /// The policy of one column, or of every column (`None`).
    pub fn missing(self, column: Option<&str>, policy: Missing) -> Result<Self, RecError> {
        let c = column.map(|c| cstring(c, "column")).transpose()?;
        let cp = c.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        check(unsafe { sys::rec_table_options_set_missing(self.0.as_ptr(), cp, policy as c_int) })?;
        Ok(self)
    }
}

impl Dataset {
    /// A delimited table by header names (`rec_dataset_load_table`); `None`: the defaults.
    pub fn load_table(
        path: impl AsRef<Path>,
        options: Option<&TableOptions>,
    ) -> Result<Self, RecError> {
        let p = cpath(path.as_ref())?;
        let o = options.map_or(ptr::null(), |o| o.0.as_ptr() as *const _);
        create(|out| unsafe { sys::rec_dataset_load_table(out, p.as_ptr(), o) }).map(Dataset)
    }

    /// A table from bytes in memory; `name` is what messages call it.
    pub fn parse_table(
        data: &[u8],
        name: Option<&str>,
        options: Option<&TableOptions>,
    ) -> Result<Self, RecError> {
        let n = name.map(|n| cstring(n, "name")).transpose()?;
        let np = n.as_ref().map_or(ptr::null(), |n| n.as_ptr());
        let o = options.map_or(ptr::null(), |o| o.0.as_ptr() as *const _);
        let dp = if data.is_empty() { b"".as_ptr() } else { data.as_ptr() } as *const c_char;
        create(|out| unsafe { sys::rec_dataset_parse_table(out, dp, data.len(), np, o) })
            .map(Dataset)
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<String> {
        let ds = self.0.as_ptr() as *const _;
        let n = unsafe { sys::rec_dataset_n_columns(ds) };
        (0..n as u32).filter_map(|c| unsafe { text(sys::rec_dataset_column_name(ds, c)) }).collect()
    }

    fn column_of(&self, name: &str) -> Result<u32, RecError> {
        let c = cstring(name, "column")?;
        let mut col = 0u32;
        check(unsafe {
            sys::rec_dataset_column(&mut col, self.0.as_ptr() as *const _, c.as_ptr())
        })?;
        Ok(col)
    }

    /// The type of a column.
    pub fn column_type(&self, name: &str) -> Result<ColumnType, RecError> {
        let col = self.column_of(name)?;
        match unsafe { sys::rec_dataset_column_type(self.0.as_ptr() as *const _, col) } {
            0 => Ok(ColumnType::String),
            1 => Ok(ColumnType::Number),
            2 => Ok(ColumnType::StringList),
            t => Err(RecError::new(RecError::ERROR, format!("unknown column type {t}"))),
        }
    }

    /// Every value of a string column.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, RecError> {
        if self.column_type(name)? != ColumnType::String {
            return Err(RecError::new(
                RecError::EINVAL,
                format!("'{name}' is not a string column"),
            ));
        }
        let col = self.column_of(name)?;
        let ds = self.0.as_ptr() as *const _;
        Ok((0..self.len())
            .map(|r| unsafe { text(sys::rec_dataset_string(ds, col, r)) }.unwrap_or_default())
            .collect())
    }

    /// Every value of a number column (NaN marks a missing value).
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, RecError> {
        if self.column_type(name)? != ColumnType::Number {
            return Err(RecError::new(
                RecError::EINVAL,
                format!("'{name}' is not a number column"),
            ));
        }
        let col = self.column_of(name)?;
        let ds = self.0.as_ptr() as *const _;
        Ok((0..self.len())
            .map(|r| unsafe { sys::rec_dataset_number(ds, col, r) } as c_double)
            .collect())
    }
}
