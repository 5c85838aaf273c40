//! Every refusal of the assessment workflow, the scoring rules, evidence uploads and the
//! framework file's `rule` column says itself in Vietnamese from its locale keys, numbers with
//! decimal commas and dates day first, checked with the crawler's English-word detector. The
//! matches list every variant, so a new one is a compile error here until it is described.
//! The pages that show them are checked on both backends in the assessment, appraisal and
//! frameworks tests (with [`assert_vietnamese`]).

use chiso_domain::Points;
use chiso_domain::access::Role;
use chiso_domain::assessment::{
    ChangedMeanwhile, LongText, SheetAction, SheetStatus, Stage, SubmissionProblem,
    SubmissionProblemKind, UnsavedChange, WorkflowError,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::compute::ScoreError;
use chiso_domain::framework::FrameworkProblem;
use chiso_domain::points::PointsParseError;
use chiso_domain::rule::{RuleError, RuleProblem};
use chiso_interchange::{FieldProblem, Problem};
use chiso_store::evidence::{EvidenceKind, UploadError};
use chiso_web::describe::Describe;
use chiso_web::describe::interchange::rule_problem;
use chiso_web::i18n::Lang;
use chrono::{DateTime, NaiveDate, Utc};

use crate::vietnamese_pages::findings;

/// The keywords of the `rule` column (docs/formats.md §8.2): the file's own syntax, shown as
/// the person typed it.
const RULE_KEYWORDS: &[&str] = &["levels", "threshold", "proportional", "survey"];

/// Fails on an English word or a raw code in a Vietnamese page or message.
pub(crate) fn assert_vietnamese(what: &str, text: &str) {
    let found = findings(what, text);
    assert!(found.is_empty(), "{found:?} in {text}");
}

/// Like [`assert_vietnamese`], the rule keywords aside.
pub(crate) fn assert_vietnamese_but_rule_keywords(what: &str, text: &str) {
    let found: Vec<String> = findings(what, text)
        .into_iter()
        .filter(|finding| {
            let word = finding.rsplit(": ").next().unwrap_or_default();
            !RULE_KEYWORDS.contains(&word.to_lowercase().as_str())
        })
        .collect();
    assert!(found.is_empty(), "{found:?} in {text}");
}

fn p(text: &str) -> Points {
    text.parse().unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

/// Every workflow refusal with sample values.
fn workflow_refusals() -> Vec<WorkflowError> {
    let code = || "2.1".to_string();
    let file_name = || "Kế hoạch CCHC.pdf".to_string();
    let mut all = vec![
        WorkflowError::RoleNotAllowed {
            role: Role::UnitEditor,
            action: SheetAction::Submit,
        },
        WorkflowError::WrongStatus {
            action: SheetAction::Appraise,
            status: SheetStatus::Draft,
        },
        WorkflowError::AppraisalStarted {
            status: SheetStatus::InAppraisal,
        },
        WorkflowError::CampaignState {
            action: SheetAction::Publish,
            state: CampaignState::Appraisal,
        },
        WorkflowError::DeadlinePassed {
            stage: Stage::SelfAssessment,
            deadline: day(20),
        },
        WorkflowError::ExtensionEnded {
            stage: Stage::Explanation,
            deadline: day(20),
            until: day(27),
        },
        WorkflowError::RoundNotOpen { round: 2 },
        WorkflowError::RoundStillOpen { open: 1 },
        WorkflowError::NoSuchRound {
            round: 3,
            rounds: 2,
        },
        WorkflowError::RoundAlreadyOpened { round: 1 },
        WorkflowError::RoundOutOfOrder {
            round: 2,
            previous: 1,
        },
        WorkflowError::NotALeaf { code: code() },
        WorkflowError::SurveyLeaf { code: code() },
        WorkflowError::OutsideAreas { code: code() },
        WorkflowError::NotFlaggedForRound {
            code: code(),
            round: 2,
            previous: 1,
        },
        WorkflowError::ExplanationInLastRound {
            code: code(),
            round: 2,
        },
        WorkflowError::NotFlagged { code: code() },
        WorkflowError::PointsDisagree {
            code: code(),
            points: p("1.5"),
            computed: p("0.5"),
        },
        WorkflowError::Incomplete(vec![SubmissionProblem {
            code: code(),
            kind: SubmissionProblemKind::MissingEvidenceExplanation,
        }]),
        WorkflowError::Unanswered(vec![code()]),
        WorkflowError::CampaignDraft,
        WorkflowError::ExtensionWithoutReason,
        WorkflowError::ExtensionBeforeDeadline { deadline: day(20) },
        WorkflowError::UnitNotInCampaign { unit_id: 12 },
        WorkflowError::TooLong {
            text: LongText::Explanation,
            limit: 20_000,
        },
        WorkflowError::TooLong {
            text: LongText::Answer,
            limit: 20_000,
        },
        WorkflowError::TooLong {
            text: LongText::Comment,
            limit: 20_000,
        },
        WorkflowError::NodeNotInFramework { node_id: 99 },
        WorkflowError::EvidenceAttached {
            file_name: file_name(),
            code: code(),
        },
        WorkflowError::EvidenceFromEarlierStage {
            file_name: file_name(),
            code: code(),
        },
        WorkflowError::StepWithoutReason {
            action: SheetAction::ReturnToUnit,
        },
        WorkflowError::AlreadyAppraised {
            action: SheetAction::DeferToNextRound,
            leaves: 3,
        },
        WorkflowError::ResubmitDateRequired { deadline: day(20) },
        WorkflowError::ResubmitDateInPast {
            date: day(18),
            today: day(20),
        },
        WorkflowError::NoLaterRound { round: 2 },
    ];
    all.extend(score_errors().into_iter().map(WorkflowError::Score));
    for refusal in &all {
        match refusal {
            WorkflowError::RoleNotAllowed { .. }
            | WorkflowError::WrongStatus { .. }
            | WorkflowError::AppraisalStarted { .. }
            | WorkflowError::CampaignState { .. }
            | WorkflowError::DeadlinePassed { .. }
            | WorkflowError::ExtensionEnded { .. }
            | WorkflowError::RoundNotOpen { .. }
            | WorkflowError::RoundStillOpen { .. }
            | WorkflowError::NoSuchRound { .. }
            | WorkflowError::RoundAlreadyOpened { .. }
            | WorkflowError::RoundOutOfOrder { .. }
            | WorkflowError::NotALeaf { .. }
            | WorkflowError::SurveyLeaf { .. }
            | WorkflowError::OutsideAreas { .. }
            | WorkflowError::NotFlaggedForRound { .. }
            | WorkflowError::ExplanationInLastRound { .. }
            | WorkflowError::NotFlagged { .. }
            | WorkflowError::PointsDisagree { .. }
            | WorkflowError::Score(_)
            | WorkflowError::Incomplete(_)
            | WorkflowError::Unanswered(_)
            | WorkflowError::CampaignDraft
            | WorkflowError::ExtensionWithoutReason
            | WorkflowError::ExtensionBeforeDeadline { .. }
            | WorkflowError::UnitNotInCampaign { .. }
            | WorkflowError::TooLong { .. }
            | WorkflowError::NodeNotInFramework { .. }
            | WorkflowError::EvidenceAttached { .. }
            | WorkflowError::EvidenceFromEarlierStage { .. }
            | WorkflowError::StepWithoutReason { .. }
            | WorkflowError::AlreadyAppraised { .. }
            | WorkflowError::ResubmitDateRequired { .. }
            | WorkflowError::ResubmitDateInPast { .. }
            | WorkflowError::NoLaterRound { .. } => {}
        }
    }
    all
}

/// Every scoring refusal of a leaf entry, each rule refusal inside one.
fn score_errors() -> Vec<ScoreError> {
    let rule_errors = vec![
        RuleError::NotALevel {
            points: p("0.7"),
            levels: vec![p("0"), p("0.5"), p("1")],
        },
        RuleError::NotFinite {
            input: "online_share".into(),
            value: f64::NAN,
        },
        RuleError::InputOutOfRange {
            input: "online_share".into(),
            value: 1.25,
            min: 0.0,
            max: 1.0,
        },
        RuleError::NegativeInput { value: -2.5 },
        RuleError::NoInputRule,
    ];
    for error in &rule_errors {
        match error {
            RuleError::NotALevel { .. }
            | RuleError::NotFinite { .. }
            | RuleError::InputOutOfRange { .. }
            | RuleError::NegativeInput { .. }
            | RuleError::NoInputRule => {}
        }
    }
    let mut all = vec![
        ScoreError::UnknownCode("9.9".into()),
        ScoreError::NotALeaf("2".into()),
        ScoreError::OutOfRange {
            code: "2.1".into(),
            points: p("2.5"),
            max: p("1.5"),
        },
        ScoreError::Duplicate { code: "2.1".into() },
    ];
    all.extend(rule_errors.into_iter().map(|source| ScoreError::Rule {
        code: "2.1".into(),
        source,
    }));
    for error in &all {
        match error {
            ScoreError::UnknownCode(_)
            | ScoreError::NotALeaf(_)
            | ScoreError::OutOfRange { .. }
            | ScoreError::Rule { .. }
            | ScoreError::Duplicate { .. } => {}
        }
    }
    all
}

/// Every change refused because another came first.
fn changed_meanwhile() -> Vec<ChangedMeanwhile> {
    let code = || "2.1".to_string();
    let changes = vec![
        UnsavedChange::Appraisal { code: code() },
        UnsavedChange::Answer { code: code() },
        UnsavedChange::Acceptance,
        UnsavedChange::Evidence { code: code() },
        UnsavedChange::EvidenceRemoval { code: code() },
    ];
    let mut all = vec![
        ChangedMeanwhile::LeafSaved {
            code: code(),
            by: "Trần Văn Nhập Liệu".into(),
            at: DateTime::parse_from_rfc3339("2026-12-20T17:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            version: 4,
        },
        ChangedMeanwhile::LeafChanged { code: code() },
        ChangedMeanwhile::SheetKeptChanging { code: code() },
        ChangedMeanwhile::SheetReviewed {
            version: 7,
            yours: 6,
            action: SheetAction::SubmitExplanation,
        },
        ChangedMeanwhile::AppraisalStartedFirst { round: 1 },
        ChangedMeanwhile::SheetNow {
            status: SheetStatus::ExplanationRequested,
        },
        ChangedMeanwhile::RoundOpened { round: 2 },
        ChangedMeanwhile::RoundClosed { round: 1 },
        ChangedMeanwhile::CampaignMoved,
        ChangedMeanwhile::EvidenceRemoved {
            file_name: "Kế hoạch CCHC.pdf".into(),
            code: code(),
        },
    ];
    for (i, change) in changes.into_iter().enumerate() {
        match change {
            UnsavedChange::Appraisal { .. }
            | UnsavedChange::Answer { .. }
            | UnsavedChange::Acceptance
            | UnsavedChange::Evidence { .. }
            | UnsavedChange::EvidenceRemoval { .. } => {}
        }
        all.push(ChangedMeanwhile::NotSaved {
            change,
            status: SheetStatus::Appraised,
            round: (i % 2) as u32,
        });
    }
    for refusal in &all {
        match refusal {
            ChangedMeanwhile::LeafSaved { .. }
            | ChangedMeanwhile::LeafChanged { .. }
            | ChangedMeanwhile::SheetKeptChanging { .. }
            | ChangedMeanwhile::SheetReviewed { .. }
            | ChangedMeanwhile::AppraisalStartedFirst { .. }
            | ChangedMeanwhile::SheetNow { .. }
            | ChangedMeanwhile::NotSaved { .. }
            | ChangedMeanwhile::RoundOpened { .. }
            | ChangedMeanwhile::RoundClosed { .. }
            | ChangedMeanwhile::CampaignMoved
            | ChangedMeanwhile::EvidenceRemoved { .. } => {}
        }
    }
    all
}

fn upload_errors() -> Vec<UploadError> {
    let name = || "báo cáo.pdf".to_string();
    let all = vec![
        UploadError::Empty { name: name() },
        UploadError::TooLarge {
            name: name(),
            size: 30 * 1024 * 1024 + 512 * 1024,
            limit: 20 * 1024 * 1024,
        },
        UploadError::Executable { name: name() },
        UploadError::UnsupportedExtension {
            extension: "exe".into(),
        },
        UploadError::UnknownContent { name: name() },
        UploadError::Mismatch {
            name: name(),
            extension: "pdf".into(),
            actual: EvidenceKind::Docx,
        },
        UploadError::NotStored {
            name: name(),
            problem: chiso_store::evidence::StorageProblem::Full,
        },
        UploadError::NotStored {
            name: name(),
            problem: chiso_store::evidence::StorageProblem::Unwritable,
        },
        UploadError::NotStored {
            name: name(),
            problem: chiso_store::evidence::StorageProblem::Failed,
        },
    ];
    for error in &all {
        match error {
            UploadError::Empty { .. }
            | UploadError::TooLarge { .. }
            | UploadError::Executable { .. }
            | UploadError::UnsupportedExtension { .. }
            | UploadError::UnknownContent { .. }
            | UploadError::Mismatch { .. }
            | UploadError::NotStored { .. } => {}
        }
    }
    all
}

fn rule_problems() -> Vec<RuleProblem> {
    let all = vec![
        RuleProblem::Unclosed {
            head: "threshold(tyle".into(),
        },
        RuleProblem::NeedsInput {
            kind: "proportional".into(),
        },
        RuleProblem::NeedsSource {
            kind: "survey".into(),
        },
        RuleProblem::BadStep {
            step: "100 -> 1".into(),
        },
        RuleProblem::StepMinimumNotANumber {
            text: "một trăm".into(),
        },
        RuleProblem::Points(PointsParseError::NotANumber("nửa".into())),
        RuleProblem::Points(PointsParseError::TooLarge("1e40".into())),
        RuleProblem::UnknownKind {
            kind: "bogus".into(),
        },
        RuleProblem::NoLevels,
        RuleProblem::LevelsNotAscending,
        RuleProblem::LevelOutOfRange {
            level: p("7.5"),
            max: p("6"),
        },
        RuleProblem::MaxNotALevel { max: p("2.5") },
        RuleProblem::ThresholdUnnamed,
        RuleProblem::NoSteps,
        RuleProblem::StepsNotDescending,
        RuleProblem::StepMinimumNotFinite,
        RuleProblem::StepOutOfRange {
            points: p("3.5"),
            max: p("2"),
        },
        RuleProblem::OtherwiseOutOfRange {
            points: p("-0.5"),
            max: p("2"),
        },
        RuleProblem::ProportionalUnnamed,
        RuleProblem::SurveyUnnamed,
    ];
    for problem in &all {
        match problem {
            RuleProblem::Unclosed { .. }
            | RuleProblem::NeedsInput { .. }
            | RuleProblem::NeedsSource { .. }
            | RuleProblem::BadStep { .. }
            | RuleProblem::StepMinimumNotANumber { .. }
            | RuleProblem::Points(_)
            | RuleProblem::UnknownKind { .. }
            | RuleProblem::NoLevels
            | RuleProblem::LevelsNotAscending
            | RuleProblem::LevelOutOfRange { .. }
            | RuleProblem::MaxNotALevel { .. }
            | RuleProblem::ThresholdUnnamed
            | RuleProblem::NoSteps
            | RuleProblem::StepsNotDescending
            | RuleProblem::StepMinimumNotFinite
            | RuleProblem::StepOutOfRange { .. }
            | RuleProblem::OtherwiseOutOfRange { .. }
            | RuleProblem::ProportionalUnnamed
            | RuleProblem::SurveyUnnamed => {}
        }
    }
    all
}

/// Said from a locale key (not the key itself, nor the English `Display`), differently in
/// each language, with no English word in Vietnamese.
fn check(what: &str, vi: &str, en: &str, english: &str) {
    assert_vietnamese(what, vi);
    for key in ["assessment.", "input.rule_", "input.file_", "common.", "{"] {
        assert!(!vi.contains(key) && !en.contains(key), "{vi} / {en}");
    }
    assert_ne!(vi, english, "{what}");
    assert_ne!(vi, en, "{what}");
}

fn check_refusal<R: Describe + std::fmt::Display>(refusal: &R) {
    let (vi, en) = (refusal.describe(Lang::Vi), refusal.describe(Lang::En));
    check(&format!("{refusal:?}"), &vi, &en, &refusal.to_string());
}

#[test]
fn every_workflow_refusal_says_itself_in_vietnamese() {
    for refusal in workflow_refusals() {
        check_refusal(&refusal);
    }
    let said = |refusal: WorkflowError| refusal.describe(Lang::Vi);
    assert_eq!(
        said(WorkflowError::ExtensionBeforeDeadline { deadline: day(20) }),
        "ngày gia hạn phải sau hạn chót (20/12/2026)"
    );
    assert_eq!(
        said(WorkflowError::TooLong {
            text: LongText::Comment,
            limit: 20_000
        }),
        "nhận xét dài quá 20.000 ký tự"
    );
    assert_eq!(
        said(WorkflowError::EvidenceAttached {
            file_name: "Kế hoạch CCHC.pdf".into(),
            code: "1.1".into()
        }),
        "tài liệu «Kế hoạch CCHC.pdf» đã được gắn vào tiêu chí 1.1"
    );
}

#[test]
fn scoring_refusals_have_decimal_commas() {
    let said: Vec<String> = score_errors()
        .into_iter()
        .map(|e| WorkflowError::Score(e).describe(Lang::Vi))
        .collect();
    for expected in [
        "tiêu chí 2.1: điểm 2,5 nằm ngoài khoảng 0 – 1,5",
        "tiêu chí 2.1: điểm 0,7 không thuộc các mức điểm 0 / 0,5 / 1",
        "tiêu chí 2.1: số liệu 1,25 nằm ngoài khoảng 0 – 1",
        "tiêu chí 2.1: số liệu -2,5 là số âm",
    ] {
        assert!(said.iter().any(|s| s == expected), "{expected} in {said:?}");
    }
    // The input's name is a code of the framework file: never shown.
    assert!(said.iter().all(|s| !s.contains("online_share")), "{said:?}");
    let field = WorkflowError::Score(ScoreError::NotALeaf("2".into()));
    assert_eq!(field.field(), Some("points"));
}

#[test]
fn every_change_made_meanwhile_says_who_and_when_in_vietnamese() {
    for refusal in changed_meanwhile() {
        check_refusal(&refusal);
        assert_eq!(refusal.status().as_u16(), 409);
    }
    let saved = &changed_meanwhile()[0];
    assert_eq!(
        saved.describe(Lang::Vi),
        "tiêu chí 2.1 đã được Trần Văn Nhập Liệu lưu lúc 21/12/2026 00:30 (phiên bản 4) sau khi bạn mở trang."
    );
    let moved = ChangedMeanwhile::NotSaved {
        change: UnsavedChange::Evidence { code: "1.1".into() },
        status: SheetStatus::ExplanationSubmitted,
        round: 2,
    };
    assert_eq!(
        moved.describe(Lang::Vi),
        "tài liệu kiểm chứng của tiêu chí 1.1 chưa được lưu: Bảng tự chấm điểm hiện đã giải trình, chờ vòng sau (vòng 2)"
    );
}

#[test]
fn every_upload_refusal_names_the_file_in_vietnamese() {
    for refusal in upload_errors() {
        check_refusal(&refusal);
    }
    let large = &upload_errors()[1];
    assert_eq!(large.status().as_u16(), 413);
    assert_eq!(
        large.describe(Lang::Vi),
        "Tệp «báo cáo.pdf»: dung lượng 30,5 MB, vượt giới hạn 20,0 MB."
    );
}

#[test]
fn every_rule_problem_of_a_framework_file_says_itself_in_vietnamese() {
    for problem in rule_problems() {
        let (vi, en) = (
            rule_problem(Lang::Vi, &problem),
            rule_problem(Lang::En, &problem),
        );
        let what = format!("{problem:?}");
        assert_vietnamese_but_rule_keywords(&what, &vi);
        for key in ["input.rule_", "{"] {
            assert!(!vi.contains(key) && !en.contains(key), "{vi} / {en}");
        }
        assert_ne!(vi, problem.to_string(), "{what}");
        assert_ne!(vi, en, "{what}");
        // The same problem inside a row of the file and inside a field of the row.
        for wrapped in [
            Problem::Framework {
                code: "1.1".into(),
                problem: FrameworkProblem::BadRule {
                    problem: problem.clone(),
                },
            },
            Problem::FrameworkField {
                code: "1.1".into(),
                field: FieldProblem::Rule {
                    text: "x".into(),
                    detail: problem.clone(),
                },
            },
        ] {
            let said = wrapped.describe(Lang::Vi);
            assert_eq!(said, format!("quy tắc: {vi}"));
        }
    }
    assert_eq!(
        rule_problem(
            Lang::Vi,
            &RuleProblem::LevelOutOfRange {
                level: p("7.5"),
                max: p("6")
            }
        ),
        "mức điểm: 7,5 nằm ngoài khoảng 0 – 6."
    );
    // The command line's own problems never reach a page in English.
    let other = Problem::Other("unit_code 01 is not in units.csv".into());
    let said = other.describe(Lang::Vi);
    assert_vietnamese("Problem::Other", &said);
    assert!(!said.contains("units.csv"), "{said}");
}
