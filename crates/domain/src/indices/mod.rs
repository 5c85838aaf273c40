//! National and external indices (PAPI, the PAR INDEX of provinces and ministries, SIPAS,
//! PCI, the ICT Index, DTI, the service index of QĐ 766/QĐ-TTg) as published: their
//! structures as data, the ranks and groups of a year, and the checks applied to imported
//! figures (docs/method.md §5).

pub mod checks;
pub mod standing;
pub mod structure;

pub use checks::{
    Breakdown, ProvinceList, Roster, RosterUnit, SUM_TOLERANCE, SumFinding, derived_total,
    is_complete, name_key, sum_findings,
};
pub use standing::{
    Standing, UnitValues, band_groups, groups, hundredths, quartile_groups, ranks, standings,
};
pub use structure::{
    Band, Catalogue, Dimension, Direction, Grouping, Index, Scale, Structure, StructureProblem,
    TotalRule, UnitScope, Years,
};
