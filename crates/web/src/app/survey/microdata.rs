//! A wave's single responses (docs/formats.md §8.12): who may read them, the export streamed
//! page by page from the database as CSV, JSON or .xlsx with its codebook, and excluding one
//! from the index or restoring it. The handlers in `routes::surveys::responses` extract,
//! call these and render.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use chiso_domain::access::{Permission, ResponseReach, single_responses};
use chiso_store::surveys::{self, ResponseFilter, ResponseRecord, WaveRow};
use chiso_store::{Db, units};
use chiso_survey::Questionnaire;
use chiso_survey::microdata::{CsvOut, JsonOut, Microdata, SharedBuffer, XlsxOut};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Responses read per page while exporting: memory is bounded by the page (and the channel's
/// few chunks in flight), whatever the wave's size.
pub const EXPORT_PAGE: i64 = 2_000;

/// Chunks of a streamed body waiting to be sent: the reader waits for the network beyond it.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The units whose single responses the principal reads: `None` every unit, `Some(ids)`
/// their own units and the units below them. Roles that read none are refused.
pub async fn reader_units(state: &AppState, principal: &Principal) -> AppResult<Option<Vec<i64>>> {
    let reaches: Vec<(ResponseReach, Option<i64>)> = principal
        .roles
        .iter()
        .map(|r| (single_responses(r.role), r.unit_id))
        .collect();
    if reaches.iter().any(|(r, _)| *r == ResponseReach::AllUnits) {
        return Ok(None);
    }
    let own: Vec<i64> = reaches
        .iter()
        .filter(|(r, _)| *r == ResponseReach::OwnUnits)
        .filter_map(|(_, unit)| *unit)
        .collect();
    if !reaches.iter().any(|(r, _)| *r == ResponseReach::OwnUnits) {
        return Err(AppError::Forbidden);
    }
    let all = units::list(&state.db).await?;
    let mut scope: Vec<i64> = own
        .into_iter()
        .flat_map(|unit| units::descendants(&all, unit))
        .collect();
    scope.sort_unstable();
    scope.dedup();
    Ok(Some(scope))
}

/// The filter narrowed to the reader's units: a unit outside them is dropped, and no unit
/// asked means all of theirs.
pub fn within(mut filter: ResponseFilter, scope: &Option<Vec<i64>>) -> ResponseFilter {
    if let Some(scope) = scope {
        filter.units = Some(match filter.units.take() {
            Some(asked) => asked.into_iter().filter(|u| scope.contains(u)).collect(),
            None => scope.clone(),
        });
    }
    filter
}

/// Only the secretariat (and the administrator) excludes and restores responses.
pub fn require_exclusion_right(principal: &Principal) -> AppResult<()> {
    principal.require(Permission::ManageCampaigns)
}

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Xlsx => crate::downloads::XLSX,
        }
    }
}

/// The export of a slice as a streamed body: pages of [`EXPORT_PAGE`] responses in id order
/// are read, written and sent one after another. CSV and JSON go out as each page is written;
/// the .xlsx writes its rows to a temporary file (constant-memory mode) and sends the zipped
/// workbook at the end. An error midway ends the body early (the download is cut short, and
/// the log says why).
pub fn export_body(
    db: Db,
    questionnaire: Arc<Questionnaire>,
    wave_id: i64,
    filter: ResponseFilter,
    format: Format,
) -> Body {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    match format {
        Format::Csv | Format::Json => {
            tokio::spawn(async move {
                let outcome =
                    write_text(&db, &questionnaire, wave_id, &filter, format, &sender).await;
                if let Err(error) = outcome {
                    tracing::error!(wave_id, %error, "survey export stopped");
                    let _ = sender.send(Err(std::io::Error::other(error))).await;
                }
            });
        }
        Format::Xlsx => {
            let (pages_in, pages_out) = mpsc::channel::<Vec<ResponseRecord>>(2);
            tokio::spawn(async move {
                if let Err(error) = read_pages(&db, wave_id, &filter, &pages_in).await {
                    tracing::error!(wave_id, %error, "survey export stopped reading");
                }
            });
            tokio::task::spawn_blocking(move || {
                if let Err(error) = write_xlsx(&questionnaire, pages_out, &sender) {
                    tracing::error!(wave_id, %error, "survey export stopped writing");
                    let _ = sender.blocking_send(Err(std::io::Error::other(error.to_string())));
                }
            });
        }
    }
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Body::from_stream(stream.boxed())
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("{0}")]
    Store(#[from] chiso_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the download was abandoned")]
    Gone,
}

/// Reads the slice page by page and hands each page on, in id order.
async fn read_pages(
    db: &Db,
    wave_id: i64,
    filter: &ResponseFilter,
    pages: &mpsc::Sender<Vec<ResponseRecord>>,
) -> Result<(), ExportError> {
    let mut after = 0;
    loop {
        let page = surveys::responses_after(db, wave_id, filter, after, EXPORT_PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.id;
        pages.send(page).await.map_err(|_| ExportError::Gone)?;
    }
}

async fn write_text(
    db: &Db,
    questionnaire: &Questionnaire,
    wave_id: i64,
    filter: &ResponseFilter,
    format: Format,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let microdata = Microdata::new(questionnaire);
    let buffer = SharedBuffer::default();
    enum Out<'m, 'q> {
        Csv(Box<CsvOut<'m, 'q, SharedBuffer>>),
        Json(JsonOut<'m, 'q, SharedBuffer>),
    }
    let mut out = match format {
        Format::Json => Out::Json(JsonOut::new(&microdata, buffer.clone())?),
        _ => Out::Csv(Box::new(CsvOut::new(&microdata, buffer.clone())?)),
    };
    let mut after = 0;
    loop {
        let page = surveys::responses_after(db, wave_id, filter, after, EXPORT_PAGE).await?;
        for row in &page {
            let at = row.submitted_in_vietnam();
            let record = row.record(&at);
            match &mut out {
                Out::Csv(csv) => csv.push(&record)?,
                Out::Json(json) => json.push(&record)?,
            }
        }
        let last = page.last().map(|r| r.id);
        match (&mut out, last) {
            (Out::Csv(csv), _) => csv.flush()?,
            (Out::Json(_), _) => {}
        }
        let Some(last) = last else { break };
        after = last;
        let chunk = buffer.take();
        sender
            .send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| ExportError::Gone)?;
    }
    match out {
        Out::Csv(csv) => {
            csv.finish()?;
        }
        Out::Json(json) => {
            json.finish()?;
        }
    }
    let chunk = buffer.take();
    if !chunk.is_empty() {
        sender
            .send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| ExportError::Gone)?;
    }
    Ok(())
}

/// A `Write` that sends what it is given as chunks of a body, from a blocking thread.
struct ChunkWriter<'a> {
    sender: &'a mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

impl std::io::Write for ChunkWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buffer);
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::other("the download was abandoned"))
    }
}

fn write_xlsx(
    questionnaire: &Questionnaire,
    mut pages: mpsc::Receiver<Vec<ResponseRecord>>,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let microdata = Microdata::new(questionnaire);
    let mut out = XlsxOut::new(&microdata)?;
    while let Some(page) = pages.blocking_recv() {
        for row in &page {
            let at = row.submitted_in_vietnam();
            out.push(&row.record(&at))?;
        }
    }
    let mut writer = ChunkWriter {
        sender,
        buffer: Vec::with_capacity(CHUNK),
    };
    out.finish(&mut writer)?;
    std::io::Write::flush(&mut writer)?;
    Ok(())
}

/// The wave and its questionnaire (parsed once per process).
pub async fn wave_and_questionnaire(
    state: &AppState,
    wave_id: i64,
) -> AppResult<(WaveRow, Arc<Questionnaire>)> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = state.questionnaires.of_wave(&state.db, &wave).await?;
    Ok((wave, questionnaire))
}
