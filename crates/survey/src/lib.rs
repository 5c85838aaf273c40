//! The survey engine of chiso: questionnaires as data, a streaming reader of
//! responses.csv / .xlsx (docs/formats.md §5) into counters, the index of any group of
//! responses computed from counters (docs/formats.md §6), confidence intervals, sample sizes,
//! comparisons and the reports of `chiso survey index`.
//!
//! The vocabulary for the whole codebase: a [`Questionnaire`] declares the items; responses
//! become [`Counts`] (per unit and channel in a [`Tally`], per unit and wave in the database's
//! `answer_stats`); [`index_from_counts`] turns any counters into a [`SurveyResult`].
//! Pure: no IO beyond reading from a `Read` (and writing generated data to a `Write`).

pub mod channel;
pub mod codec;
pub mod compare;
pub mod counts;
pub mod generate;
pub mod index;
mod keys;
pub mod microdata;
pub mod questionnaire;
pub mod reader;
pub mod report;
pub mod report_book;
pub mod respondent;
pub mod sample;
pub mod scanner;

pub use channel::Channel;
pub use codec::{Blanks, Cells, Codec, Fault, Packed, RowCodec, TextCells};
pub use counts::{AnswerStat, Counts};
pub use index::{SurveyResult, UnitResult, index_from_counts};
pub use questionnaire::{Questionnaire, QuestionnaireError, bundled};
pub use reader::{ReadError, Rejection, Tally, read_csv, read_csv_sized, read_xlsx};
pub use respondent::{normalize_respondent_id, normalize_respondent_id_owned};
pub use sample::{check_sample, sample_size};
