//! Vietnamese PDF reports of a campaign's results (docs/method.md §10): the campaign report,
//! the one-unit report and the results announcement laid out as an administrative document
//! (Nghị định 30/2020/NĐ-CP). Typeset by the typst crates compiled in, with Noto Sans and Noto
//! Serif bundled (SIL OFL); pure: plain data in ([`model`]), PDF bytes out, no IO.
//!
//! The data reaches the typst sources as one JSON file that they read with `json(…)`, so
//! every text prints as text: nothing typed by a user is ever pasted into markup.

pub mod model;
mod world;

pub use model::*;

use serde::Serialize;
use typst::diag::SourceDiagnostic;
use typst::layout::PagedDocument;

use crate::world::ReportWorld;

/// Why a report could not be made. The details are the typesetter's, for the log; a reader is
/// told that the report failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The data could not be written as JSON (it always can: every field is a string).
    #[error("report data: {0}")]
    Data(#[from] serde_json::Error),
    /// The typesetter refused the document.
    #[error("typesetting: {}", .0.join("; "))]
    Typeset(Vec<String>),
    /// The PDF could not be written.
    #[error("PDF export: {}", .0.join("; "))]
    Export(Vec<String>),
}

/// The steps of making a report, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The data is written for the typesetter.
    Data,
    /// The pages are being laid out.
    Typeset,
    /// The PDF is being written.
    Export,
}

/// The campaign report: summary, rankings, charts, weakest areas and leaves, surveys and
/// (when given) one page per unit.
pub fn campaign_report(
    report: &CampaignReport,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    render("/campaign.typ", report, progress)
}

/// The report of one unit: what its results page shows.
pub fn unit_report(
    report: &UnitReport,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    render("/unit.typ", report, progress)
}

/// The results announcement, an administrative document per Nghị định 30/2020/NĐ-CP.
pub fn announcement(
    report: &Announcement,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    render("/announcement.typ", report, progress)
}

/// The national indices of the province on one page, for a meeting: every index with its
/// latest value, rank, group, change and weakest dimension, then each index's trend.
pub fn leadership_report(
    report: &LeadershipReport,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    render("/leadership.typ", report, progress)
}

/// A plan's appendix, or (with a period) its roll-up report to the UBND, as an administrative
/// document in landscape.
pub fn plan_document(
    report: &PlanDocument,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    render("/plan.typ", report, progress)
}

fn messages(diagnostics: &[SourceDiagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| d.message.to_string()).collect()
}

fn render(
    main: &str,
    data: &impl Serialize,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<u8>, ReportError> {
    progress(Stage::Data);
    let json = serde_json::to_vec(data)?;
    let world = ReportWorld::new(main, json, None);
    progress(Stage::Typeset);
    let compiled = typst::compile::<PagedDocument>(&world);
    let document = compiled
        .output
        .map_err(|errors| ReportError::Typeset(messages(&errors)));
    // Typst memoizes across compilations; keep what the last few reports used and let the
    // rest go, so a long-running server does not grow with every report.
    let document = match document {
        Ok(document) => document,
        Err(e) => {
            typst::comemo::evict(2);
            return Err(e);
        }
    };
    progress(Stage::Export);
    let pdf = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| ReportError::Export(messages(&errors)));
    typst::comemo::evict(2);
    pdf
}

#[cfg(test)]
mod tests;
