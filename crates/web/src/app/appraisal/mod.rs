//! The council's use cases on a sheet (docs/method.md §2.5): appraising one leaf of the open
//! round ([`save_leaf`]), and accepting the unit's own points for an area or the whole sheet
//! ([`accept`]).

pub mod accept;
pub mod save_leaf;
