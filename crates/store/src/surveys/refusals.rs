//! Why the survey store refuses a change, typed: each variant carries its values (codes,
//! numbers, dates), never a sentence, so the web says it in the user's language
//! (`describe::survey`) beside the form field it names, and nothing parses a message back.
//! The English [`std::fmt::Display`] is the command line's and the log's.

use chiso_domain::campaign::CampaignState;
use chrono::NaiveDate;

/// The years a wave's period may take.
pub const WAVE_YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;

/// Most one-time tokens issued in one call (the web asks for fewer: a printed batch).
pub const MAX_TOKENS_AT_ONCE: usize = 100_000;

/// A refused survey change.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SurveyRefusal {
    /// A finalized or published campaign's survey leaves are final.
    #[error("the campaign is {0}: its survey leaves are final")]
    LeavesFinal(CampaignState),
    /// Survey leaves are filled while the campaign is open or in appraisal.
    #[error("the campaign is {0}: survey leaves are filled while it is open or in appraisal")]
    LeavesNotNow(CampaignState),
    /// A field of the wave form.
    #[error(transparent)]
    Wave(#[from] WaveFieldRefusal),
    /// A field of the service form, or a service in use.
    #[error(transparent)]
    Service(#[from] ServiceRefusal),
    /// A questionnaire that cannot be registered or read.
    #[error(transparent)]
    Questionnaire(#[from] QuestionnaireRefusal),
    /// A mapping of a campaign's survey leaf to a wave's figure.
    #[error(transparent)]
    LeafMap(#[from] LeafMapRefusal),
    #[error("the device needs a name")]
    DeviceNameEmpty,
    #[error("issue between 1 and {max} tokens at a time (asked {count})")]
    TokenCount { count: usize, max: usize },
    /// Tokens are not issued for a closed wave.
    #[error("the wave is closed")]
    WaveClosed,
    #[error("the unit is not in the wave")]
    UnitNotInWave,
    #[error("the service is not one of the unit's services in the wave")]
    ServiceNotInUnit,
    /// A unit with responses stays in its wave.
    #[error("the unit has responses in this wave")]
    UnitHasResponses,
    /// A unit's declared transactions N.
    #[error("transactions {transactions} is negative")]
    TransactionsNegative { transactions: i64 },
    /// Another operator moved the wave first.
    #[error("the wave changed state meanwhile")]
    WaveChangedMeanwhile,
    /// Five random short links in a row were taken (40 bits each: practically never).
    #[error("no free short link")]
    NoFreeShortLink,
    #[error("the wave is a draft: open it before importing")]
    ImportIntoDraft,
    /// The submission queue's writer stopped before answering (the process is shutting
    /// down): the response may not be stored, and may be sent again.
    #[error("the survey writer stopped before answering; the response may not be stored")]
    WriterStopped,
    /// A response is excluded from the index only with a reason.
    #[error("say why the response is excluded")]
    ExclusionReasonEmpty,
}

impl SurveyRefusal {
    /// The form field the refusal concerns, as the form names it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SurveyRefusal::Wave(refusal) => refusal.field(),
            SurveyRefusal::Service(refusal) => refusal.field(),
            SurveyRefusal::Questionnaire(refusal) => refusal.field(),
            SurveyRefusal::LeafMap(refusal) => refusal.field(),
            SurveyRefusal::DeviceNameEmpty => Some("name"),
            SurveyRefusal::TokenCount { .. } => Some("count"),
            SurveyRefusal::ServiceNotInUnit => Some("service_id"),
            SurveyRefusal::TransactionsNegative { .. } => Some("lines"),
            SurveyRefusal::ExclusionReasonEmpty => Some("reason"),
            SurveyRefusal::LeavesFinal(_)
            | SurveyRefusal::LeavesNotNow(_)
            | SurveyRefusal::WaveClosed
            | SurveyRefusal::UnitNotInWave
            | SurveyRefusal::UnitHasResponses
            | SurveyRefusal::WaveChangedMeanwhile
            | SurveyRefusal::NoFreeShortLink
            | SurveyRefusal::ImportIntoDraft
            | SurveyRefusal::WriterStopped => None,
        }
    }
}

/// A refused field of a wave (docs/method.md §3.4 for the margin of error e).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WaveFieldRefusal {
    #[error("the wave title is empty")]
    TitleEmpty,
    #[error("year {year} is out of range")]
    YearOutOfRange { year: i64 },
    #[error("quarter {quarter} is not 1-4")]
    QuarterOutOfRange { quarter: i64 },
    #[error("the wave closes before it opens")]
    ClosesBeforeOpens { opens: NaiveDate, closes: NaiveDate },
    #[error("margin of error {margin} is not between 0 and 1")]
    MarginOutOfRange { margin: f64 },
    #[error("the duplicate window is negative")]
    DuplicateWindowNegative { seconds: i64 },
}

impl WaveFieldRefusal {
    /// The wave form's field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WaveFieldRefusal::TitleEmpty => Some("title"),
            WaveFieldRefusal::YearOutOfRange { .. } => Some("period_year"),
            WaveFieldRefusal::QuarterOutOfRange { .. } => Some("period_quarter"),
            WaveFieldRefusal::ClosesBeforeOpens { .. } => Some("closes_on"),
            WaveFieldRefusal::MarginOutOfRange { .. } => Some("margin_e"),
            // Not on the form: set by the command line.
            WaveFieldRefusal::DuplicateWindowNegative { .. } => None,
        }
    }
}

/// A refused service of a wave unit (its code appears in links: `/ks/<slug>?dv=<code>`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceRefusal {
    #[error("the service code is empty")]
    CodeEmpty,
    #[error("service code {code}: use at most {max} letters, digits, '-', '_' or '.'")]
    CodeInvalid { code: String, max: usize },
    #[error("service {code}: the name is empty")]
    NameEmpty { code: String },
    #[error("service {code}: the name is longer than {max} characters")]
    NameTooLong { code: String, max: usize },
    #[error("service {code}: transactions {transactions} is negative")]
    TransactionsNegative { code: String, transactions: i64 },
    /// A service that a response or a token names stays.
    #[error("service {code} has responses or tokens in this wave")]
    InUse { code: String },
}

impl ServiceRefusal {
    /// The service form's field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ServiceRefusal::CodeEmpty | ServiceRefusal::CodeInvalid { .. } => Some("code"),
            ServiceRefusal::NameEmpty { .. } | ServiceRefusal::NameTooLong { .. } => Some("name"),
            ServiceRefusal::TransactionsNegative { .. } => Some("transactions"),
            ServiceRefusal::InUse { .. } => None,
        }
    }
}

/// A questionnaire refused at registration, or a stored one that cannot be read as a
/// questionnaire (docs/formats.md, the questionnaire file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuestionnaireRefusal {
    #[error("a questionnaire has 1 to 255 items (this one has {count})")]
    ItemCount { count: usize },
    #[error("every item needs its number of values ({items} items, {values} numbers)")]
    ValuesMismatch { items: usize, values: usize },
    #[error("a question has at least one value")]
    NoValues,
    #[error("item {code} appears twice")]
    ItemTwice { code: String },
    #[error("a questionnaire needs a code and a title")]
    CodeOrTitleEmpty,
    #[error("questionnaire format {format} is not toml or json")]
    UnknownFormat { format: String },
    /// Only TOML definitions are read back as questionnaires.
    #[error(
        "questionnaire {code} v{version} is stored as {format}: only TOML definitions are read"
    )]
    NotToml {
        code: String,
        version: i64,
        format: String,
    },
    /// The definition's problems, as the survey crate words them (English, for the command
    /// line and the English pages).
    #[error("questionnaire {file}: {}", problems.join("; "))]
    Definition { file: String, problems: Vec<String> },
    #[error("no bundled questionnaire {id}")]
    UnknownBundled { id: String },
}

impl QuestionnaireRefusal {
    /// The questionnaire form's field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            QuestionnaireRefusal::Definition { .. } => Some("toml"),
            QuestionnaireRefusal::UnknownBundled { .. } => Some("bundled"),
            _ => None,
        }
    }
}

/// A refused mapping of a campaign's survey leaf to a wave's figure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LeafMapRefusal {
    /// `text` is the source as typed (a field named `source` would be an error's cause).
    #[error("survey source '{text}' is not index, factor:<code> or item:<code>")]
    BadSource { text: String },
    #[error("questionnaire {questionnaire} has no {text}")]
    SourceNotInQuestionnaire { questionnaire: String, text: String },
    #[error("the node is not a survey leaf of the campaign's frameworks")]
    NotSurveyLeaf { node_id: i64 },
    #[error("questionnaire {questionnaire} declares no PAR mapping")]
    NoParMapping { questionnaire: String },
    #[error("no survey leaf {} in the campaign's frameworks", codes.join(", "))]
    LeavesMissing { codes: Vec<String> },
}

impl LeafMapRefusal {
    /// The mapping form's field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LeafMapRefusal::BadSource { .. } | LeafMapRefusal::SourceNotInQuestionnaire { .. } => {
                Some("source")
            }
            LeafMapRefusal::NotSurveyLeaf { .. } => Some("node_id"),
            LeafMapRefusal::NoParMapping { .. } | LeafMapRefusal::LeavesMissing { .. } => None,
        }
    }
}

/// Why a packed response does not fit its wave's stored questionnaire shape (a caller that
/// did not pack through the survey codec; the codec's own refusals are `chiso_survey::Fault`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeFault {
    #[error("{found} answers for {expected} items")]
    AnswerCount { found: usize, expected: usize },
    /// `item` is 0-based; answers are 1..=values, 0 a blank.
    #[error("{code}: value {value} is not 1-{values}")]
    Answer {
        item: usize,
        code: String,
        value: u8,
        values: u8,
    },
    #[error("{found} demographic answers for {expected} questions")]
    DemographicCount { found: usize, expected: usize },
    /// `question` is 0-based.
    #[error("demographic question {}: value {value} is not 1-{values}", question + 1)]
    Demographic {
        question: usize,
        value: u8,
        values: u8,
    },
    #[error("at most {max} expectations may be chosen")]
    TooManyExpectations { chosen: usize, max: u8 },
    #[error("expectation {area} is not 1-{areas}")]
    Expectation { area: u8, areas: u8 },
    #[error("expectation {area} is chosen twice")]
    ExpectationTwice { area: u8 },
}

impl ShapeFault {
    /// The field at fault, as the forms and the device API name it (the item's code).
    pub fn field(&self) -> &str {
        match self {
            ShapeFault::AnswerCount { .. } => "answers",
            ShapeFault::Answer { code, .. } => code,
            ShapeFault::DemographicCount { .. } | ShapeFault::Demographic { .. } => "demographics",
            ShapeFault::TooManyExpectations { .. }
            | ShapeFault::Expectation { .. }
            | ShapeFault::ExpectationTwice { .. } => "expectations",
        }
    }
}
