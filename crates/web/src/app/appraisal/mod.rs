//! The council's use cases on a sheet (docs/method.md §2.5): appraising one leaf of the open
//! round, and accepting the unit's own points for an area or the whole sheet.

pub mod save_leaf;
