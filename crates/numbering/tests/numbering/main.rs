//! The numbering crate's tests, in one binary to save link time.

mod support;

mod build;
mod lookup;
mod mask;
mod parse;
mod props;
mod rows;
mod segments;
mod table;
