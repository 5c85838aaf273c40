//! The pure scoring maths of chiso: criteria frameworks, points, indices, rankings,
//! classifications, year-over-year changes and weakness analysis for the PAR INDEX method
//! (docs/method.md §2). No IO: files and databases are the callers' business.

pub mod access;
pub mod assessment;
pub mod campaign;
pub mod change;
pub mod classification;
pub mod components;
pub mod compute;
pub mod evaluation;
pub mod framework;
pub mod indices;
pub mod leaf_change;
pub mod notice;
pub mod org;
pub mod plan;
pub mod points;
pub mod ranking;
pub mod rule;
pub mod simulator;
pub mod text;
pub mod wave;
pub mod weakness;

pub use classification::{Band, BandPreset, Bands};
pub use compute::{ScoreError, ScoreSheet, UnitPoints, compute_unit};
pub use evaluation::{AreaOutcome, Evaluation, UnitInput, UnitOutcome, evaluate};
pub use framework::{
    Framework, FrameworkError, FrameworkMeta, Method, Node, NodeId, NodeSpec, UnitKind,
};
pub use points::Points;
pub use rule::{Rule, RuleProblem, ThresholdStep};

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

#[cfg(test)]
mod properties;
