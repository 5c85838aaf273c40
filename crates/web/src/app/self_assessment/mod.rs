//! The unit's self-assessment (tự đánh giá, docs/method.md): the use cases on a scoresheet
//! while the unit fills it. Each takes the [`SheetContext`] its handler loaded once, asks the
//! domain's rules once and writes through the store.
//!
//! - [`save_leaf`]: the autosave of one leaf (points or the rule's input, explanation), with
//!   the version check that refuses to overwrite someone else's save.
//! - [`evidence`]: uploading and attaching documents to a leaf, attaching one the unit already
//!   has, removing one.
//! - [`sign_off`]: the leader's submission and withdrawal, the answers to explanation
//!   requests and their submission.
//! - [`field_error`]: a refused field of a leaf, typed (leaf code, field, problem, a valid
//!   example), so the form says it beside the field.
//!
//! [`SheetContext`]: crate::app::sheet_context::SheetContext

pub mod evidence;
pub mod field_error;
pub mod save_leaf;
pub mod sign_off;

pub use save_leaf::{LeafInput, Saving, save_leaf};
