//! The assessment workflow in the store, on SQLite and, when reachable, PostgreSQL:
//! every sheet transition allowed and refused, deadlines and extensions, the submission check,
//! final points, concurrent saves, evidence uploads, audit rows and leaf history.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chiso_domain::access::Role;
use chiso_domain::assessment::{
    CampaignStep, ChangedMeanwhile, ChecklistRefusal, Decision, Decisions, LateSheets, Outcome,
    SheetStatus, Stage, WorkflowError, checklist,
};
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_domain::{Framework, FrameworkMeta, Method, NodeSpec, Points, Rule, ThresholdStep};
use chiso_store::assessments::{
    self as sheets, AnswerEntry, AppraisalEntry, ExtensionGrant, SelfEntry,
};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::evidence::{self, BlobStore, LocalBlobStore, UploadError};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, StoreError, frameworks};
use chrono::{Days, NaiveDate};

/// Today in Vietnam: submissions are stamped with the real clock, so the campaign's dates are
/// set around it.
fn today() -> NaiveDate {
    sheets::today_in_vietnam()
}

/// The self-assessment deadline: two weeks ahead.
fn deadline() -> NaiveDate {
    today() + Days::new(14)
}

/// Past the self-assessment deadline, within the explanation deadline.
fn after_deadline() -> NaiveDate {
    today() + Days::new(19)
}

fn explanation_deadline() -> NaiveDate {
    today() + Days::new(40)
}

fn p(text: &str) -> Points {
    text.parse().unwrap()
}

fn editor() -> Actor {
    Actor::user(101, "Biên tập viên A")
}

fn editor_b() -> Actor {
    Actor::user(102, "Biên tập viên B")
}

fn leader() -> Actor {
    Actor::user(103, "Lãnh đạo đơn vị")
}

fn appraiser() -> Actor {
    Actor::user(104, "Thành viên hội đồng")
}

fn secretariat() -> Actor {
    Actor::user(105, "Thư ký Sở Nội vụ")
}

/// A small framework: area 1 with a threshold rule (evidence required), fixed levels and a
/// leaf requiring evidence; area 2 with a self leaf and a survey leaf; a bonus and a penalty.
/// The tree is worth 20 points.
fn framework() -> Framework {
    let spec = |row: usize, code: &str, max: Option<&str>| NodeSpec {
        row,
        code: code.into(),
        title: format!("Tiêu chí {code}"),
        max_points: max.map(p),
        ..NodeSpec::default()
    };
    let mut specs = vec![
        spec(2, "1", None),
        spec(3, "1.1", Some("3")),
        spec(4, "1.2", Some("1")),
        spec(5, "1.3", Some("2")),
        spec(6, "2", None),
        spec(7, "2.1", Some("4")),
        spec(8, "2.2", Some("10")),
        spec(9, "9", Some("2")),
        spec(10, "10", Some("3")),
    ];
    specs[1].evidence_required = true;
    specs[1].rule = Some(Rule::Threshold {
        input: "plan_share".into(),
        input_label: None,
        steps: vec![
            ThresholdStep {
                min: 100.0,
                points: p("3"),
            },
            ThresholdStep {
                min: 80.0,
                points: p("1"),
            },
        ],
        otherwise: Points::ZERO,
    });
    specs[2].rule = Some(Rule::Levels {
        levels: vec![p("0"), p("0.5"), p("1")],
    });
    specs[3].evidence_required = true;
    specs[6].method = Some(Method::Survey);
    specs[7].method = Some(Method::Bonus);
    specs[8].method = Some(Method::Penalty);
    Framework::build(
        FrameworkMeta {
            id: "test-workflow".into(),
            title: "Bộ tiêu chí thử".into(),
            ..FrameworkMeta::default()
        },
        specs,
    )
    .unwrap()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct Fixture {
    campaign: i64,
    units: Vec<i64>,
    sheets: Vec<i64>,
    nodes: HashMap<String, i64>,
}

impl Fixture {
    fn node(&self, code: &str) -> i64 {
        self.nodes[code]
    }
}

/// An open campaign of `n` departments on the small framework with `rounds` appraisal rounds,
/// their sheets created.
async fn setup(db: &Db, n: usize, rounds: i64) -> Fixture {
    let system = Actor::system("test");
    let framework_id = frameworks::insert(db, &system, &framework(), None)
        .await
        .unwrap();
    let stored = frameworks::load(db, framework_id).await.unwrap();
    let serial = COUNTER.fetch_add(1, Ordering::SeqCst);
    let unit = |code: String, name: &str, kind, parent| UnitFields {
        code,
        name: name.into(),
        kind,
        parent_id: parent,
        region: Some(
            if serial.is_multiple_of(2) {
                "Bắc"
            } else {
                "Nam"
            }
            .into(),
        ),
        valid_from: None,
        valid_to: None,
    };
    let province = units::create(
        db,
        &system,
        &unit(format!("T{serial}"), "Tỉnh", OrgKind::Province, None),
    )
    .await
    .unwrap();
    let mut unit_ids = Vec::new();
    for i in 0..n {
        unit_ids.push(
            units::create(
                db,
                &system,
                &unit(
                    format!("S{serial}-{i}"),
                    &format!("Sở {i}"),
                    OrgKind::Department,
                    Some(province),
                ),
            )
            .await
            .unwrap(),
        );
    }
    let campaign = campaigns::create(
        db,
        &system,
        &CampaignFields {
            year: 2025,
            title: "Chỉ số CCHC các sở năm 2025".into(),
            appraisal_rounds: rounds,
            self_assessment_deadline: Some(deadline()),
            explanation_deadline: Some(explanation_deadline()),
            round_deadlines: vec![None; rounds as usize],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await
    .unwrap();
    campaigns::set_framework(db, &system, campaign, "department", Some(framework_id))
        .await
        .unwrap();
    campaigns::set_units(db, &system, campaign, "department", &unit_ids)
        .await
        .unwrap();
    campaigns::transition(db, &system, campaign, CampaignState::Open, None)
        .await
        .unwrap();
    assert_eq!(
        sheets::ensure_sheets(db, &system, campaign).await.unwrap(),
        n
    );
    assert_eq!(
        sheets::ensure_sheets(db, &system, campaign).await.unwrap(),
        0
    );
    let mut sheet_ids = Vec::new();
    for &unit_id in &unit_ids {
        sheet_ids.push(
            sheets::sheet_for_unit(db, &system, campaign, unit_id)
                .await
                .unwrap()
                .id,
        );
    }
    Fixture {
        campaign,
        units: unit_ids,
        sheets: sheet_ids,
        nodes: stored.node_ids,
    }
}

fn entry(node_id: i64, points: Option<&str>) -> SelfEntry {
    SelfEntry {
        node_id,
        points: points.map(p),
        ..SelfEntry::default()
    }
}

/// Saves a leaf from its current version.
async fn save(db: &Db, sheet: i64, mut entry: SelfEntry) -> Result<sheets::LeafScore, StoreError> {
    let current = sheets::leaf_scores(db, sheet)
        .await?
        .into_iter()
        .find(|r| r.node_id == entry.node_id && r.stage == 0);
    entry.expected_version = current.map(|r| r.version);
    sheets::save_self_assessment(db, &editor(), Role::UnitEditor, sheet, today(), &entry).await
}

/// Fills a sheet so that it can be submitted: 1.1 from its rule's input (85 % → 1 point),
/// explanations where evidence is required.
async fn fill(db: &Db, f: &Fixture, sheet: i64) {
    save(
        db,
        sheet,
        SelfEntry {
            node_id: f.node("1.1"),
            input: Some(85.0),
            explanation: Some("Kế hoạch số 12/KH-SNV; tài liệu bổ sung sau".into()),
            ..SelfEntry::default()
        },
    )
    .await
    .unwrap();
    save(db, sheet, entry(f.node("1.2"), Some("0.5")))
        .await
        .unwrap();
    save(
        db,
        sheet,
        SelfEntry {
            node_id: f.node("1.3"),
            points: Some(p("2")),
            explanation: Some("Báo cáo kiểm tra đã gửi qua hệ thống".into()),
            ..SelfEntry::default()
        },
    )
    .await
    .unwrap();
    save(db, sheet, entry(f.node("2.1"), Some("3")))
        .await
        .unwrap();
    save(db, sheet, entry(f.node("9"), Some("1")))
        .await
        .unwrap();
}

async fn version(db: &Db, sheet: i64) -> i64 {
    sheets::get_sheet(db, sheet).await.unwrap().version
}

async fn status(db: &Db, sheet: i64) -> SheetStatus {
    sheets::get_sheet(db, sheet).await.unwrap().status()
}

async fn submit(db: &Db, sheet: i64) -> Result<sheets::SheetRow, StoreError> {
    let v = version(db, sheet).await;
    sheets::submit(db, &leader(), Role::UnitLeader, sheet, v, today()).await
}

async fn appraise(
    db: &Db,
    sheet: i64,
    node_id: i64,
    points: Option<&str>,
    request: bool,
) -> Result<sheets::LeafScore, StoreError> {
    let round = sheets::get_sheet(db, sheet).await?.current_round;
    let current = sheets::leaf_scores(db, sheet)
        .await?
        .into_iter()
        .find(|r| r.node_id == node_id && r.stage == round);
    sheets::save_appraisal(
        db,
        &appraiser(),
        Role::Appraiser,
        None,
        sheet,
        &AppraisalEntry {
            node_id,
            points: points.map(p),
            comment: Some(format!("Nhận xét vòng {round}")),
            explanation_requested: request,
            expected_version: current.map(|r| r.version),
            ..AppraisalEntry::default()
        },
    )
    .await
}

async fn answer(
    db: &Db,
    sheet: i64,
    node_id: i64,
    text: &str,
) -> Result<sheets::LeafScore, StoreError> {
    let round = sheets::get_sheet(db, sheet).await?.current_round;
    let current = sheets::leaf_scores(db, sheet)
        .await?
        .into_iter()
        .find(|r| r.node_id == node_id && r.stage == round);
    sheets::save_answer(
        db,
        &editor(),
        Role::UnitEditor,
        sheet,
        today(),
        &AnswerEntry {
            node_id,
            answer: Some(text.into()),
            expected_version: current.map_or(1, |r| r.version),
        },
    )
    .await
}

async fn submit_explanation(db: &Db, sheet: i64) -> Result<sheets::SheetRow, StoreError> {
    let v = version(db, sheet).await;
    sheets::submit_explanation(db, &leader(), Role::UnitLeader, sheet, v, today()).await
}

async fn open_round(db: &Db, f: &Fixture, round: u32) -> Result<usize, StoreError> {
    sheets::open_round(
        db,
        &secretariat(),
        Role::Secretariat,
        f.campaign,
        round,
        None,
    )
    .await
}

async fn close_round(db: &Db, f: &Fixture, round: u32) -> Result<(), StoreError> {
    sheets::close_round(
        db,
        &secretariat(),
        Role::Secretariat,
        f.campaign,
        round,
        None,
    )
    .await
}

/// Finalizes with the reason `reason`, deciding every blocking line of the checklist by its
/// first choice (accept what stands; leave out a unit never submitted) and waiving the
/// unmapped survey leaves: the guard's own tests decide explicitly.
async fn finalize(db: &Db, f: &Fixture, reason: &str) -> Result<(), StoreError> {
    let campaign = campaigns::get(db, f.campaign).await?;
    let facts = sheets::campaign_facts(db, &campaign, today()).await?;
    let list = checklist(CampaignStep::Finalize, &facts);
    let mut decisions = Decisions {
        survey_waiver: Some("Không khảo sát".into()),
        ..Decisions::default()
    };
    for item in list.blocking() {
        if let Some(unit) = item.unit_id {
            decisions
                .units
                .insert(unit, (item.choices[0], "Hội đồng quyết định".into()));
        }
    }
    sheets::finalize(
        db,
        &secretariat(),
        Role::Secretariat,
        f.campaign,
        today(),
        reason,
        &decisions,
    )
    .await
}

fn message(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Rule(e)) => e.to_string(),
        Err(StoreError::Meanwhile(e)) => e.to_string(),
        Err(StoreError::Upload(e)) => e.to_string(),
        Err(StoreError::Campaign(e)) => e.to_string(),
        Err(StoreError::Checklist(e)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn leaf_audit(db: &Db, f: &Fixture, unit: usize, code: &str) -> Vec<audit::AuditRecord> {
    sheets::leaf_history(db, f.sheets[unit], f.node(code))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_whole_story_from_draft_to_published_results() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 2, 2).await;
        let (a, b) = (f.sheets[0], f.sheets[1]);

        // Self-assessment: 1.1 is computed from its rule's input; progress follows.
        fill(db, &f, a).await;
        fill(db, &f, b).await;
        let rows = sheets::leaf_scores(db, a).await.unwrap();
        let first = rows.iter().find(|r| r.node_id == f.node("1.1")).unwrap();
        assert_eq!(first.points(), Some(p("1")));
        assert_eq!(first.input_value(), Some(85.0));
        assert_eq!(first.input.as_deref(), Some(r#"{"plan_share":85.0}"#));
        let sheet = sheets::get_sheet(db, a).await.unwrap();
        assert_eq!((sheet.leaves_filled, sheet.leaves_total), (4, 4));
        assert_eq!(sheet.missing_evidence, 2);
        assert_eq!(sheet.unexplained, 0);
        // 1 + 0.5 + 2 + 3 in the tree, + 1 bonus.
        assert_eq!(sheet.self_total_points(), p("7.5"));

        // Survey leaves are read-only.
        let refused = save(db, a, entry(f.node("2.2"), Some("5"))).await;
        assert_eq!(
            message(refused),
            "2.2 is filled from the survey: it is read-only here"
        );

        // The leader submits; round 1 opens and moves the campaign to appraisal.
        submit(db, a).await.unwrap();
        submit(db, b).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::Submitted);
        assert_eq!(open_round(db, &f, 1).await.unwrap(), 2);
        assert_eq!(
            campaigns::get(db, f.campaign).await.unwrap().state(),
            CampaignState::Appraisal
        );
        assert_eq!(status(db, a).await, SheetStatus::InAppraisal);

        // Round 1: the appraiser lowers 1.3 of A and asks for an explanation, comments on 2.1
        // without changing its points, and leaves B's 1.2 at 0.
        appraise(db, a, f.node("1.3"), Some("1"), true)
            .await
            .unwrap();
        appraise(db, a, f.node("2.1"), None, false).await.unwrap();
        appraise(db, b, f.node("1.2"), Some("0"), false)
            .await
            .unwrap();
        // A plain review that keeps the unit's value counts as reviewed and is audited.
        sheets::save_appraisal(
            db,
            &appraiser(),
            Role::Appraiser,
            None,
            b,
            &AppraisalEntry {
                node_id: f.node("2.1"),
                ..AppraisalEntry::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(sheets::get_sheet(db, b).await.unwrap().round_reviewed, 2);
        let reviewed = leaf_audit(db, &f, 1, "2.1").await;
        assert_eq!(
            reviewed.last().unwrap().field.as_deref(),
            Some("round1.reviewed")
        );
        let sheet = sheets::get_sheet(db, a).await.unwrap();
        assert_eq!(sheet.appraised_total_points(), p("6.5"));
        assert_eq!((sheet.round_reviewed, sheet.round_leaves), (2, 6));
        assert_eq!(sheet.flagged, 1);
        close_round(db, &f, 1).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::ExplanationRequested);
        assert_eq!(status(db, b).await, SheetStatus::Appraised);

        // The unit answers, only on the flagged leaf.
        let refused = answer(db, a, f.node("2.1"), "không được yêu cầu").await;
        assert_eq!(
            message(refused),
            "2.1: no explanation was requested for this leaf"
        );
        let refused = submit_explanation(db, a).await;
        assert_eq!(
            message(refused),
            "the explanation cannot be submitted: no answer yet for 1.3"
        );
        answer(db, a, f.node("1.3"), "Đã bổ sung biên bản kiểm tra 3 phòng")
            .await
            .unwrap();
        submit_explanation(db, a).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::ExplanationSubmitted);

        // Round 2 re-scores flagged leaves only; B keeps round 1.
        assert_eq!(open_round(db, &f, 2).await.unwrap(), 1);
        assert_eq!(status(db, b).await, SheetStatus::Appraised);
        let refused = appraise(db, a, f.node("2.1"), Some("2"), false).await;
        assert_eq!(
            message(refused),
            "2.1 was not flagged for explanation in round 1: round 2 only re-scores flagged leaves"
        );
        let refused = appraise(db, a, f.node("1.3"), Some("1.5"), true).await;
        assert_eq!(
            message(refused),
            "1.3: round 2 is the last round: no later round would review an explanation"
        );
        appraise(db, a, f.node("1.3"), Some("1.5"), false)
            .await
            .unwrap();
        let refused = appraise(db, b, f.node("1.2"), Some("1"), false).await;
        assert_eq!(
            message(refused),
            "cannot appraise the sheet: the sheet is appraised"
        );
        close_round(db, &f, 2).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::Appraised);

        // Finalize: final points are the last round's value, else the unit's.
        finalize(db, &f, "Hội đồng họp ngày 15/1").await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::Finalized);
        let finals = sheets::final_scores(db, a).await.unwrap();
        assert_eq!(finals[&f.node("1.3")], p("1.5"));
        assert_eq!(finals[&f.node("2.1")], p("3"));
        assert_eq!(finals[&f.node("1.1")], p("1"));
        assert_eq!(finals[&f.node("9")], p("1"));
        assert!(!finals.contains_key(&f.node("2.2")));
        let finals_b = sheets::final_scores(db, b).await.unwrap();
        assert_eq!(finals_b[&f.node("1.2")], p("0"));

        // Nothing changes after finalization.
        let refused = save(db, a, entry(f.node("1.2"), Some("1"))).await;
        assert_eq!(
            message(refused),
            "cannot edit the self-assessment: the campaign is finalized"
        );
        let refused = appraise(db, a, f.node("1.3"), Some("2"), false).await;
        assert!(message(refused).contains("the campaign is finalized"));

        // Publish: the engine ranks the units and the snapshot reads back.
        assert!(
            sheets::published_results(db, f.campaign)
                .await
                .unwrap()
                .is_none()
        );
        let published = sheets::publish(db, &secretariat(), Role::Secretariat, f.campaign, None)
            .await
            .unwrap();
        assert_eq!(
            campaigns::get(db, f.campaign).await.unwrap().state(),
            CampaignState::Published
        );
        let stored = sheets::published_results(db, f.campaign)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored, published);
        let group = &stored.groups[0];
        assert_eq!(group.max_points, p("20"));
        // A: 1 + 0.5 + 1.5 + 3 = 6 + bonus 1 = 7; B: 1 + 0 + 2 + 3 = 6 + 1 = 7 → tie.
        let ranking: Vec<(i64, u32, Points)> = group
            .units
            .iter()
            .map(|u| (u.unit_id, u.rank, u.points))
            .collect();
        assert_eq!(ranking, [(f.units[0], 1, p("7")), (f.units[1], 1, p("7"))]);
        assert_eq!(group.units[0].index, 35.0);
        assert_eq!(group.units[0].classification, "Yếu");
        assert_eq!(group.units[0].missing, ["2.2", "10"]);
        assert_eq!(group.units[0].areas[0].points, p("3"));

        // The history of A's leaf 1.3, oldest first, with every stage.
        let history = leaf_audit(db, &f, 0, "1.3").await;
        let lines: Vec<(String, Option<String>, Option<String>)> = history
            .iter()
            .map(|r| {
                (
                    r.field.clone().unwrap(),
                    r.old_value.clone(),
                    r.new_value.clone(),
                )
            })
            .collect();
        let expected: Vec<(String, Option<String>, Option<String>)> = [
            ("self.points", None, Some("2")),
            (
                "self.explanation",
                None,
                Some("Báo cáo kiểm tra đã gửi qua hệ thống"),
            ),
            ("round1.points", None, Some("1")),
            ("round1.comment", None, Some("Nhận xét vòng 1")),
            ("round1.explanation_requested", Some("false"), Some("true")),
            (
                "round1.answer",
                None,
                Some("Đã bổ sung biên bản kiểm tra 3 phòng"),
            ),
            ("round2.points", None, Some("1.5")),
            ("round2.comment", None, Some("Nhận xét vòng 2")),
        ]
        .iter()
        .map(|(f, o, n)| (f.to_string(), o.map(str::to_string), n.map(str::to_string)))
        .collect();
        assert_eq!(lines, expected);
        assert_eq!(history[2].actor_name, "Thành viên hội đồng");
        assert_eq!(history[2].reason.as_deref(), Some("Nhận xét vòng 1"));
        assert_eq!(history[0].actor_name, "Biên tập viên A");
        assert_eq!(
            sheets::parse_stage_field("round2.points"),
            Some((2, "points"))
        );
        assert_eq!(
            sheets::parse_stage_field("self.evidence"),
            Some((0, "evidence"))
        );

        // Every state change of the sheet is in the audit log, in order.
        let mut transitions: Vec<(String, String)> = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("sheet".into()),
                entity_id: Some(a),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.field.as_deref() == Some("status"))
        .map(|r| {
            (
                r.old_value.unwrap_or_default(),
                r.new_value.unwrap_or_default(),
            )
        })
        .collect();
        transitions.reverse();
        let expected: Vec<(String, String)> = [
            ("", "draft"),
            ("draft", "submitted"),
            ("submitted", "in_appraisal"),
            ("in_appraisal", "explanation_requested"),
            ("explanation_requested", "explanation_submitted"),
            ("explanation_submitted", "in_appraisal"),
            ("in_appraisal", "appraised"),
            ("appraised", "finalized"),
        ]
        .iter()
        .map(|(o, n)| (o.to_string(), n.to_string()))
        .collect();
        assert_eq!(transitions, expected);
        let campaign_rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("campaign".into()),
                entity_id: Some(f.campaign),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = campaign_rows
            .iter()
            .rev()
            .map(|r| r.action.as_str())
            .collect();
        assert!(actions.ends_with(&[
            "open_round",
            "transition",
            "close_round",
            "open_round",
            "close_round",
            "transition",
            "waive",
            "transition",
            "publish"
        ]));
    }
}

/// Per-sheet actions, tried one at a time on a fresh sheet in each state.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Try {
    Edit,
    Submit,
    Withdraw,
    Appraise,
    Answer,
    SubmitExplanation,
}

const TRIES: [Try; 6] = [
    Try::Edit,
    Try::Submit,
    Try::Withdraw,
    Try::Appraise,
    Try::Answer,
    Try::SubmitExplanation,
];

/// A fresh campaign with one sheet driven to `target`, round 1 of 2 being its first round.
async fn sheet_in(db: &Db, target: SheetStatus) -> (Fixture, i64) {
    let f = setup(db, 1, 2).await;
    let sheet = f.sheets[0];
    use SheetStatus::*;
    fill(db, &f, sheet).await;
    if target == Draft {
        return (f, sheet);
    }
    submit(db, sheet).await.unwrap();
    if target == Submitted {
        return (f, sheet);
    }
    open_round(db, &f, 1).await.unwrap();
    if target == InAppraisal {
        return (f, sheet);
    }
    if target == Finalized {
        close_round(db, &f, 1).await.unwrap();
        finalize(db, &f, "Chốt").await.unwrap();
        return (f, sheet);
    }
    let flag = target != Appraised;
    appraise(db, sheet, f.node("1.3"), Some("1"), flag)
        .await
        .unwrap();
    close_round(db, &f, 1).await.unwrap();
    if target == ExplanationSubmitted {
        answer(db, sheet, f.node("1.3"), "Giải trình")
            .await
            .unwrap();
        submit_explanation(db, sheet).await.unwrap();
    }
    (f, sheet)
}

async fn attempt(db: &Db, f: &Fixture, sheet: i64, action: Try) -> Result<(), StoreError> {
    match action {
        Try::Edit => save(db, sheet, entry(f.node("2.1"), Some("4")))
            .await
            .map(drop),
        Try::Submit => submit(db, sheet).await.map(drop),
        Try::Withdraw => sheets::withdraw(db, &leader(), Role::UnitLeader, sheet, today(), None)
            .await
            .map(drop),
        Try::Appraise => appraise(db, sheet, f.node("1.2"), Some("1"), false)
            .await
            .map(drop),
        Try::Answer => answer(db, sheet, f.node("1.3"), "Trả lời").await.map(drop),
        Try::SubmitExplanation => {
            if status(db, sheet).await == SheetStatus::ExplanationRequested {
                answer(db, sheet, f.node("1.3"), "Trả lời").await?;
            }
            submit_explanation(db, sheet).await.map(drop)
        }
    }
}

#[tokio::test]
async fn every_allowed_and_every_forbidden_sheet_transition() {
    use SheetStatus::*;
    let allowed = |status: SheetStatus, action: Try| -> Option<SheetStatus> {
        match (status, action) {
            (Draft, Try::Edit) => Some(Draft),
            (Draft, Try::Submit) => Some(Submitted),
            (Submitted, Try::Withdraw) => Some(Draft),
            (InAppraisal, Try::Appraise) => Some(InAppraisal),
            (ExplanationRequested, Try::Answer) => Some(ExplanationRequested),
            (ExplanationRequested, Try::SubmitExplanation) => Some(ExplanationSubmitted),
            _ => None,
        }
    };
    for test_db in backends().await {
        let db = &test_db.db;
        for start in SheetStatus::ALL {
            for action in TRIES {
                let (f, sheet) = sheet_in(db, start).await;
                assert_eq!(status(db, sheet).await, start);
                let before = version(db, sheet).await;
                let result = attempt(db, &f, sheet, action).await;
                match allowed(start, action) {
                    Some(after) => {
                        assert!(result.is_ok(), "{start} {action:?}: {result:?}");
                        assert_eq!(status(db, sheet).await, after, "{start} {action:?}");
                    }
                    None => {
                        let error = message(result);
                        assert!(!error.is_empty(), "{start} {action:?}");
                        assert_eq!(status(db, sheet).await, start, "{start} {action:?}");
                        assert_eq!(
                            version(db, sheet).await,
                            before,
                            "{start} {action:?}: {error}"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn roles_rounds_and_campaign_steps_are_enforced() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 2, 2).await;
        let sheet = f.sheets[0];

        // Wrong roles.
        let refused = sheets::save_self_assessment(
            db,
            &appraiser(),
            Role::Appraiser,
            sheet,
            today(),
            &entry(f.node("1.2"), Some("1")),
        )
        .await;
        assert_eq!(
            message(refused),
            "the role appraiser may not edit the self-assessment"
        );
        fill(db, &f, sheet).await;
        let v = version(db, sheet).await;
        let refused = sheets::submit(db, &editor(), Role::UnitEditor, sheet, v, today()).await;
        assert_eq!(
            message(refused),
            "the role unit_editor may not submit the sheet"
        );
        submit(db, sheet).await.unwrap();
        let refused =
            sheets::open_round(db, &leader(), Role::UnitLeader, f.campaign, 1, None).await;
        assert_eq!(
            message(refused),
            "the role unit_leader may not open an appraisal round"
        );

        // Rounds open in order, one at a time, and only those the campaign has.
        assert_eq!(
            message(open_round(db, &f, 2).await),
            "round 2 cannot open before round 1 is closed"
        );
        assert_eq!(
            message(close_round(db, &f, 1).await),
            "cannot close an appraisal round: the campaign is open"
        );
        let refused = finalize(db, &f, "Chốt").await;
        assert_eq!(
            message(refused),
            "cannot finalize the campaign: the campaign is open"
        );
        open_round(db, &f, 1).await.unwrap();
        assert_eq!(
            message(open_round(db, &f, 1).await),
            "appraisal round 1 is still open: close it first"
        );
        assert_eq!(
            message(open_round(db, &f, 3).await),
            "the campaign has 2 appraisal round(s): there is no round 3"
        );
        let refused = finalize(db, &f, "Chốt").await;
        assert_eq!(
            message(refused),
            "appraisal round 1 is still open: close it first"
        );
        let refused =
            sheets::publish(db, &secretariat(), Role::Secretariat, f.campaign, None).await;
        assert_eq!(
            message(refused),
            "cannot publish the results: the campaign is appraisal"
        );

        // Appraisers stay in their areas.
        let areas = vec!["2".to_string()];
        let refused = sheets::save_appraisal(
            db,
            &appraiser(),
            Role::Appraiser,
            Some(&areas),
            sheet,
            &AppraisalEntry {
                node_id: f.node("1.2"),
                points: Some(p("1")),
                ..AppraisalEntry::default()
            },
        )
        .await;
        assert_eq!(message(refused), "1.2 is outside the areas you appraise");
        sheets::save_appraisal(
            db,
            &appraiser(),
            Role::Appraiser,
            Some(&areas),
            sheet,
            &AppraisalEntry {
                node_id: f.node("2.1"),
                points: Some(p("2")),
                ..AppraisalEntry::default()
            },
        )
        .await
        .unwrap();
        // Points are checked against the leaf: levels, max, rule.
        let refused = appraise(db, sheet, f.node("1.2"), Some("0.7"), false).await;
        assert_eq!(
            message(refused),
            "1.2: points 0.7 are not one of the levels 0 / 0.5 / 1"
        );
        let refused = appraise(db, sheet, f.node("9"), Some("2.5"), false).await;
        assert_eq!(message(refused), "points 2.5 are outside [0, 2] for 9");
        // The second unit never submitted: it is not in the round.
        let refused = appraise(db, f.sheets[1], f.node("1.2"), Some("1"), false).await;
        assert_eq!(
            message(refused),
            "cannot appraise the sheet: the sheet is a draft"
        );
        close_round(db, &f, 1).await.unwrap();
        assert_eq!(
            message(close_round(db, &f, 1).await),
            "appraisal round 1 is not open"
        );

        // Finalizing is refused while the unit that never submitted has no decision and the
        // survey leaf has no wave; the refusal names both.
        let unresolved = sheets::finalize(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            today(),
            "Chốt",
            &Decisions::default(),
        )
        .await;
        match unresolved {
            Err(StoreError::Checklist(ChecklistRefusal::Unresolved {
                units,
                survey_leaves,
            })) => {
                assert_eq!(units.len(), 1, "{units:?}");
                assert_eq!(survey_leaves, vec!["2.2".to_string()]);
            }
            other => panic!("expected the checklist's refusal, got {other:?}"),
        }
        assert_eq!(status(db, f.sheets[1]).await, SheetStatus::Draft);
        // Its draft points are never taken as they stand.
        let mut decisions = Decisions {
            survey_waiver: Some("Chưa tổ chức khảo sát".into()),
            ..Decisions::default()
        };
        decisions
            .units
            .insert(f.units[1], (Decision::Accept, "Giữ điểm".into()));
        let refused = sheets::finalize(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            today(),
            "Chốt",
            &decisions,
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Checklist(
                    ChecklistRefusal::ChoiceNotAllowed { .. }
                ))
            ),
            "{refused:?}"
        );
        // The secretariat's explicit choice: 0 points, with its reason on record.
        decisions
            .units
            .insert(f.units[1], (Decision::Zero, "Đơn vị không nộp".into()));
        sheets::finalize(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            today(),
            "Chốt",
            &decisions,
        )
        .await
        .unwrap();
        assert_eq!(status(db, f.sheets[1]).await, SheetStatus::Finalized);
        let log = audit::list(
            db,
            &AuditFilter {
                campaign_id: Some(f.campaign),
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let decided = log
            .iter()
            .find(|r| r.action == "decide")
            .expect("the decision is audited");
        assert_eq!(decided.unit_id, Some(f.units[1]));
        assert_eq!(decided.new_value.as_deref(), Some("zero"));
        assert_eq!(decided.reason.as_deref(), Some("Đơn vị không nộp"));
        let waived = log
            .iter()
            .find(|r| r.action == "waive")
            .expect("the waiver is audited");
        assert_eq!(waived.new_value.as_deref(), Some("2.2"));
        assert_eq!(waived.reason.as_deref(), Some("Chưa tổ chức khảo sát"));
        let refused = finalize(db, &f, "Chốt").await;
        assert_eq!(
            message(refused),
            "cannot finalize the campaign: the campaign is finalized"
        );
        let refused = sheets::publish(db, &editor(), Role::UnitEditor, f.campaign, None).await;
        assert_eq!(
            message(refused),
            "the role unit_editor may not publish the results"
        );
        let results = sheets::publish(db, &secretariat(), Role::Admin, f.campaign, None)
            .await
            .unwrap();
        let units = &results.groups[0].units;
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].unit_id, f.units[0]);
        assert_eq!(units[1].points, Points::ZERO);
        assert_eq!(units[1].rank, 2);
        assert_eq!(units[1].outcome, Some(Outcome::Zero));
        assert!(results.groups[0].excluded.is_empty());
        let refused =
            sheets::publish(db, &secretariat(), Role::Secretariat, f.campaign, None).await;
        assert!(message(refused).contains("the campaign is published"));
    }
}

#[tokio::test]
async fn deadlines_hold_unless_the_unit_has_an_extension() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 2, 1).await;
        let (a, b) = (f.sheets[0], f.sheets[1]);
        fill(db, &f, a).await;
        fill(db, &f, b).await;
        sheets::submit(
            db,
            &leader(),
            Role::UnitLeader,
            b,
            version(db, b).await,
            deadline(),
        )
        .await
        .unwrap();

        // After the deadline nothing can be entered or submitted.
        let late = sheets::save_self_assessment(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            after_deadline(),
            &SelfEntry {
                node_id: f.node("2.1"),
                points: Some(p("4")),
                expected_version: Some(1),
                ..SelfEntry::default()
            },
        )
        .await;
        assert_eq!(
            message(late),
            format!(
                "the self-assessment deadline ({}) has passed and the unit has no extension",
                deadline()
            )
        );
        let v = version(db, a).await;
        let late = sheets::submit(db, &leader(), Role::UnitLeader, a, v, after_deadline()).await;
        assert!(message(late).contains("has passed"));

        // Progress shows A late (not submitted past the deadline), B on time.
        let progress = sheets::progress(db, f.campaign, after_deadline())
            .await
            .unwrap();
        assert_eq!(progress.len(), 2);
        assert!(progress[0].late);
        assert!(!progress[1].late);

        // Extensions need a reason, a later date, the secretariat, a participating unit.
        let grant = |unit_id, until, reason: &str| ExtensionGrant {
            unit_id,
            stage: Stage::SelfAssessment,
            until,
            reason: reason.into(),
        };
        let refused = sheets::grant_extension(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            &grant(f.units[0], deadline() + Days::new(7), " "),
        )
        .await;
        assert!(matches!(
            refused,
            Err(StoreError::Rule(WorkflowError::ExtensionWithoutReason))
        ));
        assert_eq!(message(refused), "an extension needs a reason");
        let refused = sheets::grant_extension(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            &grant(f.units[0], deadline() - Days::new(5), "Mất điện"),
        )
        .await;
        assert!(matches!(
            refused,
            Err(StoreError::Rule(WorkflowError::ExtensionBeforeDeadline { deadline: d }))
                if d == deadline()
        ));
        assert_eq!(
            message(refused),
            format!("the extension must end after the deadline ({})", deadline())
        );
        let refused = sheets::grant_extension(
            db,
            &leader(),
            Role::UnitLeader,
            f.campaign,
            &grant(f.units[0], deadline() + Days::new(7), "Mất điện"),
        )
        .await;
        assert!(message(refused).contains("may not grant an extension"));
        let extension = sheets::grant_extension(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            &grant(f.units[0], deadline() + Days::new(7), "Sự cố hệ thống mạng"),
        )
        .await
        .unwrap();
        assert_eq!(extension.valid_until, deadline() + Days::new(7));

        // With the extension the unit enters and submits late.
        let saved = sheets::save_self_assessment(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            after_deadline(),
            &SelfEntry {
                node_id: f.node("2.1"),
                points: Some(p("4")),
                expected_version: Some(1),
                ..SelfEntry::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(saved.version, 2);
        let v = version(db, a).await;
        let refused = sheets::submit(
            db,
            &leader(),
            Role::UnitLeader,
            a,
            v,
            deadline() + Days::new(8),
        )
        .await;
        assert_eq!(
            message(refused),
            format!(
                "the self-assessment deadline ({}) has passed and the extension ended on {}",
                deadline(),
                deadline() + Days::new(7)
            )
        );
        sheets::submit(db, &leader(), Role::UnitLeader, a, v, after_deadline())
            .await
            .unwrap();
        let progress = sheets::progress(db, f.campaign, after_deadline())
            .await
            .unwrap();
        assert_eq!(progress[0].self_extension, Some(deadline() + Days::new(7)));
        assert_eq!(progress[0].status(), Some(SheetStatus::Submitted));

        // A second grant replaces the date; both grants are audited with their reasons.
        sheets::grant_extension(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            &grant(f.units[0], deadline() + Days::new(9), "Gia hạn thêm"),
        )
        .await
        .unwrap();
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("extension".into()),
                entity_id: Some(extension.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].old_value,
            Some((deadline() + Days::new(7)).to_string())
        );
        assert_eq!(
            rows[0].new_value,
            Some((deadline() + Days::new(9)).to_string())
        );
        assert_eq!(rows[0].reason.as_deref(), Some("Gia hạn thêm"));
        assert_eq!(rows[0].field.as_deref(), Some("self_assessment.until"));
        assert_eq!(sheets::extensions(db, f.campaign).await.unwrap().len(), 1);

        // The explanation stage has its own deadline.
        open_round(db, &f, 1).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::InAppraisal);
    }
}

#[tokio::test]
async fn the_submission_check_lists_every_offending_leaf() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 1, 1).await;
        let sheet = f.sheets[0];
        save(db, sheet, entry(f.node("1.2"), Some("1")))
            .await
            .unwrap();
        let refused = submit(db, sheet).await;
        assert_eq!(
            message(refused),
            "the sheet cannot be submitted: 1.1: no points entered; \
             1.1: evidence is required: attach a document or write an explanation; \
             1.3: no points entered; \
             1.3: evidence is required: attach a document or write an explanation; \
             2.1: no points entered"
        );
        let problems = sheets::submission_problems(db, sheet).await.unwrap();
        assert_eq!(problems.len(), 5);
        assert_eq!(status(db, sheet).await, SheetStatus::Draft);
        // Rule inputs and points must agree; levels and caps hold.
        let refused = save(
            db,
            sheet,
            SelfEntry {
                node_id: f.node("1.1"),
                points: Some(p("3")),
                input: Some(85.0),
                ..SelfEntry::default()
            },
        )
        .await;
        assert_eq!(
            message(refused),
            "1.1: points 3 do not match the 1 the rule gives for the input"
        );
        let refused = save(db, sheet, entry(f.node("10"), Some("3.5"))).await;
        assert_eq!(message(refused), "points 3.5 are outside [0, 3] for 10");
        let refused = save(db, sheet, entry(f.node("1"), Some("1"))).await;
        assert_eq!(
            message(refused),
            "1 is not a leaf: points go on its sub-criteria"
        );
        fill(db, &f, sheet).await;
        submit(db, sheet).await.unwrap();
    }
}

#[tokio::test]
async fn two_editors_saving_the_same_leaf_never_lose_data() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 1, 1).await;
        let sheet = f.sheets[0];
        let leaf = f.node("2.1");

        // Both open the empty leaf; A saves first, B's save is refused naming the leaf and A.
        let first = sheets::save_self_assessment(
            db,
            &editor(),
            Role::UnitEditor,
            sheet,
            today(),
            &SelfEntry {
                node_id: leaf,
                points: Some(p("3")),
                expected_version: None,
                ..SelfEntry::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(first.version, 1);
        assert_eq!(first.updated_by_name, "Biên tập viên A");
        let refused = sheets::save_self_assessment(
            db,
            &editor_b(),
            Role::UnitEditor,
            sheet,
            today(),
            &SelfEntry {
                node_id: leaf,
                points: Some(p("4")),
                expected_version: None,
                ..SelfEntry::default()
            },
        )
        .await;
        assert!(matches!(
            refused,
            Err(StoreError::Meanwhile(ChangedMeanwhile::LeafSaved { ref code, version: 1, .. }))
                if code == "2.1"
        ));
        let text = message(refused);
        assert!(
            text.starts_with("leaf 2.1 was saved by Biên tập viên A at "),
            "{text}"
        );
        assert!(text.contains("(version 1)"), "{text}");

        // B reloads and saves on top; A's stale version is refused in turn.
        let second = sheets::save_self_assessment(
            db,
            &editor_b(),
            Role::UnitEditor,
            sheet,
            today(),
            &SelfEntry {
                node_id: leaf,
                points: Some(p("4")),
                expected_version: Some(1),
                ..SelfEntry::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(second.version, 2);
        let stale = sheets::save_self_assessment(
            db,
            &editor(),
            Role::UnitEditor,
            sheet,
            today(),
            &SelfEntry {
                node_id: leaf,
                points: Some(p("2")),
                expected_version: Some(1),
                ..SelfEntry::default()
            },
        )
        .await;
        assert!(message(stale).contains("was saved by Biên tập viên B"));

        // Saving the same values again changes nothing.
        let same = sheets::save_self_assessment(
            db,
            &editor_b(),
            Role::UnitEditor,
            sheet,
            today(),
            &SelfEntry {
                node_id: leaf,
                points: Some(p("4")),
                expected_version: Some(2),
                ..SelfEntry::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(same.version, 2);

        // Six editors racing from the same version: exactly one wins, the others are told.
        let attempts: Vec<_> = (0..6)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    sheets::save_self_assessment(
                        &db,
                        &Actor::user(200 + i, &format!("Editor {i}")),
                        Role::UnitEditor,
                        sheet,
                        today(),
                        &SelfEntry {
                            node_id: leaf,
                            points: Some(Points::whole(i % 4)),
                            explanation: Some(format!("lần {i}")),
                            expected_version: Some(2),
                            ..SelfEntry::default()
                        },
                    )
                    .await
                })
            })
            .collect();
        let mut won = Vec::new();
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(row) => won.push(row),
                Err(StoreError::Meanwhile(m)) => {
                    assert!(m.to_string().starts_with("leaf 2.1"), "{m}")
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(won.len(), 1, "{:?}", test_db.backend());
        let stored = sheets::leaf_scores(db, sheet).await.unwrap();
        let row = stored.iter().find(|r| r.node_id == leaf).unwrap();
        assert_eq!(row.version, 3);
        assert_eq!(row.explanation, won[0].explanation);

        // Every saved value is in the leaf's history: nothing was silently overwritten.
        let history = sheets::leaf_history(db, sheet, leaf).await.unwrap();
        let points: Vec<Option<&str>> = history
            .iter()
            .filter(|r| r.field.as_deref() == Some("self.points"))
            .map(|r| r.new_value.as_deref())
            .collect();
        assert_eq!(&points[..2], [Some("3"), Some("4")]);
        assert_eq!(
            history
                .iter()
                .filter(|r| r.field.as_deref() == Some("self.explanation"))
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn an_appraiser_saving_while_the_unit_withdraws_has_one_outcome() {
    for test_db in backends().await {
        let db = &test_db.db;

        // In order: a withdrawn sheet cannot be appraised, a sheet in appraisal cannot be
        // withdrawn.
        let f = setup(db, 2, 2).await;
        let (a, b) = (f.sheets[0], f.sheets[1]);
        fill(db, &f, a).await;
        fill(db, &f, b).await;
        submit(db, a).await.unwrap();
        submit(db, b).await.unwrap();
        sheets::withdraw(
            db,
            &leader(),
            Role::UnitLeader,
            a,
            today(),
            Some("Sửa điểm 2.1"),
        )
        .await
        .unwrap();
        open_round(db, &f, 1).await.unwrap();
        assert_eq!(status(db, a).await, SheetStatus::Draft);
        let refused = appraise(db, a, f.node("1.2"), Some("1"), false).await;
        assert_eq!(
            message(refused),
            "cannot appraise the sheet: the sheet is a draft"
        );
        let refused = sheets::withdraw(db, &leader(), Role::UnitLeader, b, today(), None).await;
        assert_eq!(
            message(refused),
            "cannot withdraw the sheet: appraisal has started (the sheet is in appraisal); a sheet can be withdrawn only while it waits for appraisal"
        );
        appraise(db, b, f.node("1.2"), Some("1"), false)
            .await
            .unwrap();

        // Racing: the round opening (which starts appraisal) and the withdrawal; then the
        // appraiser saves. Exactly one of the round and the withdrawal takes the sheet.
        for _ in 0..4 {
            let f = setup(db, 1, 2).await;
            let sheet = f.sheets[0];
            fill(db, &f, sheet).await;
            submit(db, sheet).await.unwrap();
            let withdrawal = {
                let db = db.clone();
                tokio::spawn(async move {
                    sheets::withdraw(&db, &leader(), Role::UnitLeader, sheet, today(), None).await
                })
            };
            let opening = {
                let db = db.clone();
                let campaign = f.campaign;
                tokio::spawn(async move {
                    sheets::open_round(&db, &secretariat(), Role::Secretariat, campaign, 1, None)
                        .await
                })
            };
            let withdrawn = withdrawal.await.unwrap();
            let entered = opening.await.unwrap().unwrap();
            let appraisal = appraise(db, sheet, f.node("1.2"), Some("1"), false).await;
            match withdrawn {
                Ok(_) => {
                    assert_eq!(entered, 0);
                    assert_eq!(status(db, sheet).await, SheetStatus::Draft);
                    assert!(message(appraisal).contains("the sheet is a draft"));
                }
                Err(error) => {
                    assert!(
                        matches!(error, StoreError::Meanwhile(_) | StoreError::Rule(_)),
                        "{error:?}"
                    );
                    let text = error.to_string();
                    assert!(text.contains("appraisal"), "{text}");
                    assert_eq!(entered, 1);
                    assert!(appraisal.is_ok(), "{appraisal:?}");
                    assert_eq!(status(db, sheet).await, SheetStatus::InAppraisal);
                }
            }
        }

        // Racing an appraisal save against the round closing: the save lands before the close
        // or is refused with the sheet's new state; never after.
        for _ in 0..4 {
            let f = setup(db, 1, 2).await;
            let sheet = f.sheets[0];
            fill(db, &f, sheet).await;
            submit(db, sheet).await.unwrap();
            open_round(db, &f, 1).await.unwrap();
            let saving = {
                let db = db.clone();
                let node = f.node("1.2");
                tokio::spawn(async move { appraise(&db, sheet, node, Some("0"), false).await })
            };
            let closing = {
                let db = db.clone();
                let campaign = f.campaign;
                tokio::spawn(async move {
                    sheets::close_round(&db, &secretariat(), Role::Secretariat, campaign, 1, None)
                        .await
                })
            };
            let saved = saving.await.unwrap();
            closing.await.unwrap().unwrap();
            let rows = sheets::leaf_scores(db, sheet).await.unwrap();
            let stored = rows
                .iter()
                .find(|r| r.node_id == f.node("1.2") && r.stage == 1);
            match saved {
                Ok(row) => assert_eq!(stored, Some(&row)),
                Err(error) => {
                    // Refused by the rules (the round was seen closed) or by the conditional
                    // write (it closed in between): either way nothing was written.
                    assert!(stored.is_none());
                    let text = error.to_string();
                    assert!(
                        text.contains("the sheet is now appraised")
                            || text.contains("the sheet is appraised")
                            || text.contains("round 1 is not open"),
                        "{text}"
                    );
                }
            }
            assert_eq!(status(db, sheet).await, SheetStatus::Appraised);
        }
    }
}

/// A ZIP archive of stored entries (enough for the content checks).
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let header = |sig: &[u8], central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(sig);
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&0u32.to_le_bytes());
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(b"PK\x03\x04", false));
        out.extend_from_slice(data);
        central.extend(header(b"PK\x01\x02", true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn docx() -> Vec<u8> {
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    ])
}

fn xlsx() -> Vec<u8> {
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ])
}

fn odt() -> Vec<u8> {
    zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b"<office:document-content/>"),
    ])
}

#[test]
fn uploads_are_checked_by_content() {
    let limit = 1024 * 1024;
    let pdf = b"%PDF-1.7\n1 0 obj\n".to_vec();
    let ok = |name: &str, bytes: &[u8]| evidence::check_upload(name, bytes, limit).unwrap();
    assert_eq!(ok("Báo cáo.pdf", &pdf).content_type, "application/pdf");
    assert_eq!(
        ok("ke-hoach.DOCX", &docx()).content_type,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        ok("so-lieu.xlsx", &xlsx()).content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        ok("van-ban.odt", &odt()).content_type,
        "application/vnd.oasis.opendocument.text"
    );
    let ods = zip(&[(
        "mimetype",
        b"application/vnd.oasis.opendocument.spreadsheet",
    )]);
    assert_eq!(
        ok("bang.ods", &ods).content_type,
        "application/vnd.oasis.opendocument.spreadsheet"
    );
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
    assert_eq!(ok("cu.doc", &ole).content_type, "application/msword");
    assert_eq!(ok("cu.xls", &ole).content_type, "application/vnd.ms-excel");
    assert_eq!(
        ok("anh.JPG", &[0xFF, 0xD8, 0xFF, 0xE0]).content_type,
        "image/jpeg"
    );
    assert_eq!(
        ok(
            "anh.png",
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]
        )
        .content_type,
        "image/png"
    );

    let refused = |name: &str, bytes: &[u8], limit: usize| {
        evidence::check_upload(name, bytes, limit).unwrap_err()
    };
    // An executable renamed to .pdf.
    assert_eq!(
        refused("bao-cao.pdf", b"MZ\x90\x00\x03\x00", limit).to_string(),
        "the file bao-cao.pdf is an executable program, not a document"
    );
    assert!(matches!(
        refused("x.pdf", b"\x7fELF\x02\x01", limit),
        UploadError::Executable { .. }
    ));
    // Extension and content disagree.
    assert_eq!(
        refused("ke-hoach.pdf", &docx(), limit).to_string(),
        "the file ke-hoach.pdf is named .pdf but its content is a Word document (DOCX)"
    );
    assert_eq!(
        refused("so-lieu.docx", &xlsx(), limit).to_string(),
        "the file so-lieu.docx is named .docx but its content is an Excel workbook (XLSX)"
    );
    assert!(matches!(
        refused("anh.png", &pdf, limit),
        UploadError::Mismatch { .. }
    ));
    assert!(matches!(
        refused("a.docx", &zip(&[("readme.txt", b"hi")]), limit),
        UploadError::UnknownContent { .. }
    ));
    assert_eq!(
        refused("chay.exe", &pdf, limit).to_string(),
        "files ending in .exe are not accepted: use PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, JPG or PNG"
    );
    assert!(matches!(
        refused("khong-duoi", &pdf, limit),
        UploadError::UnsupportedExtension { .. }
    ));
    // Empty and oversized files.
    assert_eq!(
        refused("rong.pdf", b"", limit).to_string(),
        "the file rong.pdf is empty"
    );
    let big = [b"%PDF-".as_slice(), &vec![b' '; 3 * 1024 * 1024]].concat();
    assert_eq!(
        refused("lon.pdf", &big, 2 * 1024 * 1024).to_string(),
        "the file lon.pdf is 3.0 MB, over the limit of 2.0 MB"
    );
    // Path traversal in the name never reaches the stored name.
    assert_eq!(ok("../../../etc/cron.d/x.pdf", &pdf).file_name, "x.pdf");
    assert_eq!(
        ok("..\\..\\Windows\\Quyết định số 1.pdf", &pdf).file_name,
        "Quyết định số 1.pdf"
    );
}

#[tokio::test]
async fn evidence_is_stored_once_linked_and_audited() {
    let dir = std::env::temp_dir().join(format!(
        "chiso_blobs_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let blobs = LocalBlobStore::new(&dir);
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 2, 2).await;
        let (a, b) = (f.sheets[0], f.sheets[1]);
        let limit = 1024 * 1024;
        let pdf = format!("%PDF-1.4\n{}\n", f.campaign).into_bytes();

        // The same content under two names is one file; the blob sits at ab/cd/<hash>.
        let first = evidence::upload(
            db,
            &blobs,
            &editor(),
            "../../Kế hoạch CCHC.pdf",
            &pdf,
            limit,
        )
        .await
        .unwrap();
        let again = evidence::upload(db, &blobs, &editor_b(), "ban-sao.pdf", &pdf, limit)
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(first.original_name, "Kế hoạch CCHC.pdf");
        assert_eq!(first.sha256, evidence::sha256_hex(&pdf));
        let path = dir
            .join(&first.sha256[0..2])
            .join(&first.sha256[2..4])
            .join(&first.sha256);
        assert_eq!(std::fs::read(&path).unwrap(), pdf);
        assert!(blobs.exists(&first.sha256).await.unwrap());
        assert!(blobs.get("../../etc/passwd").await.is_err());
        let (row, bytes) = evidence::read_file(db, &blobs, first.id).await.unwrap();
        assert_eq!((row.id, bytes), (first.id, pdf.clone()));

        // Refused uploads store nothing and say why.
        let refused =
            evidence::upload(db, &blobs, &editor(), "virus.pdf", b"MZ\x90\x00", limit).await;
        assert!(matches!(
            refused,
            Err(StoreError::Upload(UploadError::Executable { .. }))
        ));
        assert_eq!(
            message(refused),
            "the file virus.pdf is an executable program, not a document"
        );
        let refused = evidence::upload(db, &blobs, &editor(), "lon.pdf", &pdf, 8).await;
        assert!(message(refused).contains("over the limit"));

        // Linked to two leaves of A and one of B: stored once, counted per leaf.
        let l1 = evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("1.1"),
            first.id,
            today(),
        )
        .await
        .unwrap();
        evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("1.3"),
            first.id,
            today(),
        )
        .await
        .unwrap();
        evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            b,
            f.node("1.1"),
            first.id,
            today(),
        )
        .await
        .unwrap();
        let refused = evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("1.1"),
            first.id,
            today(),
        )
        .await;
        assert!(matches!(
            refused,
            Err(StoreError::Rule(WorkflowError::EvidenceAttached { ref code, .. })) if code == "1.1"
        ));
        assert_eq!(
            message(refused),
            "Kế hoạch CCHC.pdf is already attached to leaf 1.1"
        );
        let refused = evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("2.2"),
            first.id,
            today(),
        )
        .await;
        assert!(message(refused).contains("read-only"));
        let refused = evidence::link(
            db,
            &appraiser(),
            Role::Appraiser,
            a,
            f.node("2.1"),
            first.id,
            today(),
        )
        .await;
        assert!(message(refused).contains("may not edit the self-assessment"));
        let files = evidence::files_for_sheet(db, a).await.unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].file_name, "Kế hoạch CCHC.pdf");
        let linking = evidence::sheets_linking(db, first.id).await.unwrap();
        let mut sheets_seen: Vec<i64> = linking.iter().map(|s| s.sheet_id).collect();
        sheets_seen.sort();
        assert_eq!(sheets_seen, [a.min(b), a.max(b)]);
        assert!(linking.iter().all(|s| s.campaign_id == f.campaign));
        let stored: i64 = chiso_store::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM evidence_files WHERE sha256 = $1")
            .bind(&first.sha256)
            .fetch_one(pool)
            .await
            .unwrap());
        assert_eq!(stored, 1);
        assert_eq!(sheets::get_sheet(db, a).await.unwrap().missing_evidence, 0);

        // Evidence satisfies the submission check without explanations.
        save(db, a, entry(f.node("1.1"), Some("3"))).await.unwrap();
        save(db, a, entry(f.node("1.2"), Some("1"))).await.unwrap();
        save(db, a, entry(f.node("1.3"), Some("2"))).await.unwrap();
        save(db, a, entry(f.node("2.1"), Some("4"))).await.unwrap();
        assert!(sheets::submission_problems(db, a).await.unwrap().is_empty());

        // Unlinking is audited and brings the missing evidence back.
        evidence::unlink(db, &editor(), Role::UnitEditor, l1, today())
            .await
            .unwrap();
        assert_eq!(sheets::get_sheet(db, a).await.unwrap().missing_evidence, 1);
        let problems = sheets::submission_problems(db, a).await.unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "1.1");
        let history = leaf_audit(db, &f, 0, "1.1").await;
        let evidence_rows: Vec<(Option<&str>, Option<&str>, &str)> = history
            .iter()
            .filter(|r| r.field.as_deref() == Some("self.evidence"))
            .map(|r| {
                (
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                    r.action.as_str(),
                )
            })
            .collect();
        let label = format!("Kế hoạch CCHC.pdf (#{})", first.id);
        assert_eq!(
            evidence_rows,
            [
                (None, Some(label.as_str()), "link_evidence"),
                (Some(label.as_str()), None, "unlink_evidence"),
            ]
        );

        // After submission the evidence is locked; in an explanation round extra evidence
        // goes with the answer on flagged leaves only.
        evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("1.1"),
            first.id,
            today(),
        )
        .await
        .unwrap();
        submit(db, a).await.unwrap();
        let refused = evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("2.1"),
            first.id,
            today(),
        )
        .await;
        assert_eq!(
            message(refused),
            "cannot edit the self-assessment: the sheet is submitted"
        );
        open_round(db, &f, 1).await.unwrap();
        appraise(db, a, f.node("1.3"), Some("1"), true)
            .await
            .unwrap();
        close_round(db, &f, 1).await.unwrap();
        let extra = evidence::upload(
            db,
            &blobs,
            &editor(),
            "bien-ban.png",
            &[
                0x89,
                b'P',
                b'N',
                b'G',
                0x0D,
                0x0A,
                0x1A,
                0x0A,
                f.campaign as u8,
            ],
            limit,
        )
        .await
        .unwrap();
        let refused = evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("2.1"),
            extra.id,
            after_deadline(),
        )
        .await;
        assert_eq!(
            message(refused),
            "2.1: no explanation was requested for this leaf"
        );
        evidence::link(
            db,
            &editor(),
            Role::UnitEditor,
            a,
            f.node("1.3"),
            extra.id,
            after_deadline(),
        )
        .await
        .unwrap();
        // The extra evidence counts as an answer.
        assert_eq!(sheets::get_sheet(db, a).await.unwrap().answered, 1);
        submit_explanation(db, a).await.unwrap();
        let history = leaf_audit(db, &f, 0, "1.3").await;
        assert!(
            history
                .iter()
                .any(|r| r.field.as_deref() == Some("round1.evidence"))
        );
        let files = evidence::files_for_sheet(db, a).await.unwrap();
        assert!(files.iter().any(|l| l.stage == 1 && l.file_id == extra.id));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_progress_table_comes_from_one_query() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 3, 1).await;
        fill(db, &f, f.sheets[0]).await;
        submit(db, f.sheets[0]).await.unwrap();
        save(db, f.sheets[1], entry(f.node("2.1"), Some("2")))
            .await
            .unwrap();
        let rows = sheets::progress(db, f.campaign, today()).await.unwrap();
        assert_eq!(rows.len(), 3);
        let first = &rows[0];
        assert_eq!(first.unit_id, f.units[0]);
        assert_eq!(first.status(), Some(SheetStatus::Submitted));
        assert_eq!(first.completion_percent(), 100.0);
        assert_eq!(first.self_total_points(), p("7.5"));
        assert_eq!(first.missing_evidence, Some(2));
        assert_eq!(first.unexplained, Some(0));
        assert!(!first.late);
        let second = &rows[1];
        assert_eq!(second.status(), Some(SheetStatus::Draft));
        assert_eq!(
            (second.leaves_filled, second.leaves_total),
            (Some(1), Some(4))
        );
        assert_eq!(second.unexplained, Some(2));
        assert_eq!(second.completion_percent(), 25.0);
        let third = &rows[2];
        assert_eq!(third.leaves_filled, Some(0));
        assert_eq!(third.self_total_points(), Points::ZERO);
        // Past the deadline the unsubmitted units are late.
        let rows = sheets::progress(db, f.campaign, after_deadline())
            .await
            .unwrap();
        let late: Vec<bool> = rows.iter().map(|r| r.late).collect();
        assert_eq!(late, [false, true, true]);
        // A sheet list for a campaign that never created sheets shows the units anyway.
        let sheets_rows = sheets::list_sheets(db, f.campaign).await.unwrap();
        assert_eq!(sheets_rows.len(), 3);
    }
}

/// The why of the council's steps: opening and closing a round and publishing record the
/// reason the secretariat gave.
#[tokio::test]
async fn rounds_and_publication_record_their_reasons() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 1, 1).await;
        fill(db, &f, f.sheets[0]).await;
        submit(db, f.sheets[0]).await.unwrap();
        let secretariat = secretariat();
        sheets::open_round(
            db,
            &secretariat,
            Role::Secretariat,
            f.campaign,
            1,
            Some("Biên bản họp số 1"),
        )
        .await
        .unwrap();
        sheets::close_round(
            db,
            &secretariat,
            Role::Secretariat,
            f.campaign,
            1,
            Some("Hết hạn thẩm định"),
        )
        .await
        .unwrap();
        finalize(db, &f, "Hội đồng thống nhất").await.unwrap();
        sheets::publish(
            db,
            &secretariat,
            Role::Secretariat,
            f.campaign,
            Some("Quyết định công bố số 5"),
        )
        .await
        .unwrap();
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("campaign".into()),
                entity_id: Some(f.campaign),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let reason_of = |action: &str| {
            rows.iter()
                .find(|r| r.action == action)
                .and_then(|r| r.reason.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            reason_of("open_round"),
            "Biên bản họp số 1",
            "{:?}",
            test_db.backend()
        );
        assert_eq!(reason_of("close_round"), "Hết hạn thẩm định");
        assert_eq!(reason_of("publish"), "Quyết định công bố số 5");
    }
}

#[tokio::test]
async fn an_appraiser_accepts_the_units_points_of_an_area_in_one_audited_action() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 1, 2).await;
        let sheet = f.sheets[0];
        fill(db, &f, sheet).await;
        submit(db, sheet).await.unwrap();
        open_round(db, &f, 1).await.unwrap();
        // The appraiser scores 1.2 by hand first: acceptance keeps that value.
        appraise(db, sheet, f.node("1.2"), Some("0"), false)
            .await
            .unwrap();
        let version_before = version(db, sheet).await;
        let areas = vec!["1".to_string()];
        let accepted = sheets::accept_self_scores(
            db,
            &appraiser(),
            Role::Appraiser,
            Some(&areas),
            sheet,
            Some("1"),
        )
        .await
        .unwrap();
        // 1.1 and 1.3 of area 1 (1.2 was scored already; area 2 and the bonus are outside).
        assert_eq!(accepted, 2, "{}", test_db.url);
        let rows = sheets::leaf_scores(db, sheet).await.unwrap();
        let at = |code: &str, stage: i64| {
            rows.iter()
                .find(|r| r.node_id == f.node(code) && r.stage == stage)
                .cloned()
        };
        assert_eq!(at("1.1", 1).unwrap().points(), Some(p("1")));
        assert_eq!(at("1.3", 1).unwrap().points(), Some(p("2")));
        assert_eq!(at("1.2", 1).unwrap().points(), Some(p("0")));
        assert!(at("2.1", 1).is_none());
        assert_eq!(version(db, sheet).await, version_before + 1);
        // The sheet's figures moved with the rows: three of four leaves of round 1 reviewed.
        let row = sheets::get_sheet(db, sheet).await.unwrap();
        assert_eq!(row.round_reviewed, 3, "{}", test_db.url);
        // One audit row per accepted leaf, with the points.
        let audit = leaf_audit(db, &f, 0, "1.3").await;
        assert!(
            audit.iter().any(|r| r.action == sheets::ACCEPT_ACTION
                && r.field.as_deref() == Some("round1.points")
                && r.new_value.as_deref() == Some("2")),
            "{audit:?}"
        );
        // Accepting again accepts nothing; an accepted leaf can still be changed.
        let again = sheets::accept_self_scores(
            db,
            &appraiser(),
            Role::Appraiser,
            Some(&areas),
            sheet,
            Some("1"),
        )
        .await
        .unwrap();
        assert_eq!(again, 0);
        appraise(db, sheet, f.node("1.3"), Some("1"), false)
            .await
            .unwrap();
        // The whole sheet for an appraiser of every area: 2.1 is left; the survey leaf never.
        let rest = sheets::accept_self_scores(db, &appraiser(), Role::Appraiser, None, sheet, None)
            .await
            .unwrap();
        assert!(rest >= 1, "{rest}");
        assert!(
            sheets::leaf_scores(db, sheet)
                .await
                .unwrap()
                .iter()
                .all(|r| r.node_id != f.node("2.2") || r.stage == 0)
        );
        // Only an appraiser, only while the round is open.
        let refused =
            sheets::accept_self_scores(db, &leader(), Role::UnitLeader, None, sheet, None).await;
        assert!(refused.is_err());
        close_round(db, &f, 1).await.unwrap();
        let refused =
            sheets::accept_self_scores(db, &appraiser(), Role::Appraiser, None, sheet, None).await;
        assert!(refused.is_err());
    }
}

/// A sheet submitted while a round is open joins it at once (round 1 and a later round), and
/// a later round reviews every leaf of a sheet that joined it: none is left unappraised.
#[tokio::test]
async fn a_late_submission_joins_the_open_round() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 3, 2).await;
        for &sheet in &f.sheets {
            fill(db, &f, sheet).await;
        }
        submit(db, f.sheets[0]).await.unwrap();
        assert_eq!(open_round(db, &f, 1).await.unwrap(), 1);
        // Submitted while round 1 is open: in the round, audited in two steps.
        let joined = submit(db, f.sheets[1]).await.unwrap();
        assert_eq!(joined.status(), SheetStatus::InAppraisal);
        assert_eq!(joined.current_round, 1);
        assert!(joined.round_leaves > 0, "{joined:?}");
        let steps: Vec<(Option<String>, Option<String>)> = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("sheet".into()),
                entity_id: Some(f.sheets[1]),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.old_value, r.new_value))
        .collect();
        assert!(steps.contains(&(Some("submitted".into()), Some("in_appraisal".into()))));
        appraise(db, f.sheets[1], f.node("1.2"), Some("0.5"), false)
            .await
            .unwrap();
        close_round(db, &f, 1).await.unwrap();
        assert_eq!(status(db, f.sheets[1]).await, SheetStatus::Appraised);
        // Round 2 takes nobody; the third unit submits while it is open and joins it, and the
        // appraiser scores any of its leaves (not only leaves flagged in round 1).
        assert_eq!(open_round(db, &f, 2).await.unwrap(), 0);
        let joined = submit(db, f.sheets[2]).await.unwrap();
        assert_eq!(
            (joined.status(), joined.current_round),
            (SheetStatus::InAppraisal, 2)
        );
        assert!(joined.round_leaves > 0, "{joined:?}");
        appraise(db, f.sheets[2], f.node("1.2"), Some("0.5"), false)
            .await
            .unwrap();
        let first = sheets::get_sheet(db, f.sheets[0]).await.unwrap();
        assert_eq!(first.status(), SheetStatus::Appraised);
        close_round(db, &f, 2).await.unwrap();
        finalize(db, &f, "Chốt").await.unwrap();
        let finals = sheets::final_scores(db, f.sheets[2]).await.unwrap();
        assert_eq!(finals[&f.node("1.2")], p("0.5"));
    }
}

/// The published ranking leaves out a unit that never submitted when the secretariat decides
/// so, and lists it apart; a submitted sheet no round appraised is finalized only by a decision.
#[tokio::test]
async fn a_never_submitted_unit_left_out_is_not_ranked() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 3, 1).await;
        for &sheet in &f.sheets {
            fill(db, &f, sheet).await;
        }
        submit(db, f.sheets[0]).await.unwrap();
        open_round(db, &f, 1).await.unwrap();
        close_round(db, &f, 1).await.unwrap();
        // Submitted after the only round closed: not appraised.
        submit(db, f.sheets[2]).await.unwrap();
        assert_eq!(status(db, f.sheets[2]).await, SheetStatus::Submitted);
        let campaign = campaigns::get(db, f.campaign).await.unwrap();
        let facts = sheets::campaign_facts(db, &campaign, today())
            .await
            .unwrap();
        let list = checklist(CampaignStep::Finalize, &facts);
        let lines: Vec<(Option<i64>, bool)> =
            list.blocking().map(|i| (i.unit_id, i.blocking)).collect();
        assert_eq!(
            lines,
            vec![
                (Some(f.units[1]), true),
                (Some(f.units[2]), true),
                (None, true)
            ]
        );
        let mut decisions = Decisions {
            survey_waiver: Some("Không khảo sát".into()),
            ..Decisions::default()
        };
        decisions
            .units
            .insert(f.units[2], (Decision::Accept, "Hội đồng chấp nhận".into()));
        let refused = sheets::finalize(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            today(),
            "Chốt",
            &decisions,
        )
        .await;
        assert!(message(refused).contains("unresolved"));
        decisions
            .units
            .insert(f.units[1], (Decision::Exclude, "Không nộp".into()));
        sheets::finalize(
            db,
            &secretariat(),
            Role::Secretariat,
            f.campaign,
            today(),
            "Chốt",
            &decisions,
        )
        .await
        .unwrap();
        let results = sheets::publish(db, &secretariat(), Role::Secretariat, f.campaign, None)
            .await
            .unwrap();
        let group = &results.groups[0];
        let ranked: Vec<i64> = group.units.iter().map(|u| u.unit_id).collect();
        assert_eq!(ranked.len(), 2);
        assert!(!ranked.contains(&f.units[1]));
        assert_eq!(group.excluded.len(), 1);
        assert_eq!(group.excluded[0].unit_id, f.units[1]);
        assert!(group.excluded[0].never_submitted);
        // The accepted sheet is ranked with its own points.
        let accepted = group
            .units
            .iter()
            .find(|u| u.unit_id == f.units[2])
            .unwrap();
        assert!(accepted.points > Points::ZERO);
    }
}

/// The sheet's audit rows of one action, as (old, new, reason).
async fn sheet_steps(
    db: &Db,
    sheet: i64,
    action: &str,
) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    audit::list(
        db,
        &AuditFilter {
            entity_type: Some("sheet".into()),
            entity_id: Some(sheet),
            limit: 100,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.action == action)
    .map(|r| (r.old_value, r.new_value, r.reason))
    .collect()
}

/// Opening a round that is not the last, the secretariat chooses that late sheets wait: a
/// sheet submitted while it is open stays submitted and enters the next round. A sheet that
/// joined the open round moves to the next one on its own, while the council has scored none
/// of its leaves; the last round has no next round for either.
#[tokio::test]
async fn a_late_sheet_waits_for_the_next_round_when_the_secretariat_chooses() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 4, 2).await;
        for &sheet in &f.sheets {
            fill(db, &f, sheet).await;
        }
        let (s0, s1, s3) = (f.sheets[0], f.sheets[1], f.sheets[3]);
        submit(db, s0).await.unwrap();
        submit(db, s3).await.unwrap();
        let sec = secretariat();
        let choose = |round, late| {
            sheets::open_round_choosing(
                db,
                &sec,
                Role::Secretariat,
                f.campaign,
                round,
                late,
                Some("Hội đồng đã phân công"),
            )
        };
        assert_eq!(choose(1, LateSheets::Wait).await.unwrap(), 2);
        let states = sheets::round_states(db, f.campaign).await.unwrap();
        assert_eq!(states[0].late_sheets, LateSheets::Wait);
        // Submitted while round 1 is open: it waits.
        let waiting = submit(db, s1).await.unwrap();
        assert_eq!(
            (waiting.status(), waiting.current_round),
            (SheetStatus::Submitted, 0)
        );

        // One sheet of the round is scored: it can no longer move; the other moves, with its
        // reason on record.
        appraise(db, s3, f.node("1.2"), Some("0.5"), false)
            .await
            .unwrap();
        let defer = |sheet, reason: &'static str| {
            sheets::defer_to_next_round(db, &sec, Role::Secretariat, sheet, reason)
        };
        assert!(matches!(
            defer(s3, "Chuyển").await,
            Err(StoreError::Rule(WorkflowError::AlreadyAppraised {
                leaves: 1,
                ..
            }))
        ));
        assert!(matches!(
            defer(s0, "  ").await,
            Err(StoreError::Rule(WorkflowError::StepWithoutReason { .. }))
        ));
        assert!(matches!(
            defer(s1, "Chuyển").await,
            Err(StoreError::Rule(WorkflowError::WrongStatus { .. }))
        ));
        assert!(matches!(
            sheets::defer_to_next_round(db, &leader(), Role::UnitLeader, s0, "Chuyển").await,
            Err(StoreError::Rule(WorkflowError::RoleNotAllowed { .. }))
        ));
        let moved = defer(s0, "Nộp muộn, Hội đồng đã phân công vòng 1")
            .await
            .unwrap();
        assert_eq!(
            (moved.status(), moved.current_round),
            (SheetStatus::Submitted, 0)
        );
        assert_eq!(
            sheet_steps(db, s0, "defer_sheet").await,
            vec![(
                Some("in_appraisal".into()),
                Some("submitted".into()),
                Some("Nộp muộn, Hội đồng đã phân công vòng 1".into())
            )]
        );
        close_round(db, &f, 1).await.unwrap();
        assert_eq!(status(db, s3).await, SheetStatus::Appraised);

        // The last round: late sheets cannot wait, and nothing moves past it.
        assert!(matches!(
            choose(2, LateSheets::Wait).await,
            Err(StoreError::Rule(WorkflowError::NoLaterRound { round: 2 }))
        ));
        assert_eq!(open_round(db, &f, 2).await.unwrap(), 2);
        for sheet in [s0, s1] {
            let row = sheets::get_sheet(db, sheet).await.unwrap();
            assert_eq!(
                (row.status(), row.current_round),
                (SheetStatus::InAppraisal, 2)
            );
        }
        assert!(matches!(
            defer(s0, "Chuyển").await,
            Err(StoreError::Rule(WorkflowError::NoLaterRound { round: 2 }))
        ));
    }
}

/// The secretariat returns a submitted sheet to its unit: waiting for a round or in the open
/// round, while the council has scored none of its leaves. After the deadline the return gives
/// a date to resubmit by, written as the unit's extension in the same transaction, and the unit
/// enters and submits again.
#[tokio::test]
async fn a_returned_sheet_goes_back_to_draft_with_a_date_to_resubmit_by() {
    for test_db in backends().await {
        let db = &test_db.db;
        let f = setup(db, 3, 2).await;
        for &sheet in &f.sheets {
            fill(db, &f, sheet).await;
        }
        let (s0, s1, s2) = (f.sheets[0], f.sheets[1], f.sheets[2]);
        let give_back = |sheet, day, reason: &str, by: Option<NaiveDate>| {
            let request = sheets::SheetReturn {
                reason: reason.into(),
                resubmit_by: by,
            };
            async move {
                sheets::return_to_unit(db, &secretariat(), Role::Secretariat, sheet, day, &request)
                    .await
            }
        };
        // Waiting for round 1, within the deadline: no date needed.
        submit(db, s0).await.unwrap();
        let back = give_back(s0, today(), "Thiếu tài liệu kiểm chứng tiêu chí 1.2", None)
            .await
            .unwrap();
        assert_eq!(back.status(), SheetStatus::Draft);
        assert!(back.submitted_at.is_none());
        assert_eq!(
            sheet_steps(db, s0, "return_sheet").await,
            vec![(
                Some("submitted".into()),
                Some("draft".into()),
                Some("Thiếu tài liệu kiểm chứng tiêu chí 1.2".into())
            )]
        );
        assert!(matches!(
            give_back(s0, today(), "Lần nữa", None).await,
            Err(StoreError::Rule(WorkflowError::WrongStatus { .. }))
        ));

        // In the open round, nothing scored: back to draft, out of the round.
        submit(db, s0).await.unwrap();
        submit(db, s1).await.unwrap();
        open_round(db, &f, 1).await.unwrap();
        let back = give_back(s0, today(), "Số liệu tiêu chí 2.1 chưa khớp", None)
            .await
            .unwrap();
        assert_eq!((back.status(), back.current_round), (SheetStatus::Draft, 0));
        // Scored: refused; no reason: refused; not the secretariat: refused.
        appraise(db, s1, f.node("1.2"), Some("0.5"), false)
            .await
            .unwrap();
        assert!(matches!(
            give_back(s1, today(), "Trả lại", None).await,
            Err(StoreError::Rule(WorkflowError::AlreadyAppraised {
                leaves: 1,
                ..
            }))
        ));
        submit(db, s2).await.unwrap();
        assert!(matches!(
            give_back(s2, today(), " ", None).await,
            Err(StoreError::Rule(WorkflowError::StepWithoutReason { .. }))
        ));
        let request = sheets::SheetReturn {
            reason: "Trả lại".into(),
            resubmit_by: None,
        };
        assert!(matches!(
            sheets::return_to_unit(db, &appraiser(), Role::Appraiser, s2, today(), &request).await,
            Err(StoreError::Rule(WorkflowError::RoleNotAllowed { .. }))
        ));

        // After the deadline a return needs a date, not before today and after the deadline.
        let late = after_deadline();
        assert!(matches!(
            give_back(s2, late, "Trả lại", None).await,
            Err(StoreError::Rule(WorkflowError::ResubmitDateRequired { .. }))
        ));
        assert!(matches!(
            give_back(s2, late, "Trả lại", Some(late - Days::new(1))).await,
            Err(StoreError::Rule(WorkflowError::ResubmitDateInPast { .. }))
        ));
        let by = late + Days::new(5);
        let back = give_back(s2, late, "Bổ sung giải trình tiêu chí 1.1", Some(by))
            .await
            .unwrap();
        assert_eq!(back.status(), SheetStatus::Draft);
        let extension = sheets::extension_for(db, f.campaign, f.units[2], Stage::SelfAssessment)
            .await
            .unwrap()
            .expect("the date to resubmit by is the unit's extension");
        assert_eq!(extension.valid_until, by);
        assert_eq!(extension.reason, "Bổ sung giải trình tiêu chí 1.1");
        // The unit resubmits within that date: round 1 is open, so the sheet joins it.
        let again = sheets::submit(
            db,
            &leader(),
            Role::UnitLeader,
            s2,
            version(db, s2).await,
            late,
        )
        .await
        .unwrap();
        assert_eq!(
            (again.status(), again.current_round),
            (SheetStatus::InAppraisal, 1)
        );
    }
}
