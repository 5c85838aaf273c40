//! What a report shows, as plain data: every text already written as the reader reads it
//! (Vietnamese, decimal commas), every chart an SVG document. The sources print these values
//! as text, never as markup, so a unit named `*A* #b $c$ <d>` prints exactly so.

use serde::Serialize;

/// A chart: an SVG document drawn by the server (the same picture as the page) and its caption.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Chart {
    pub caption: String,
    pub svg: String,
}

/// Units per classification.
#[derive(Clone, Debug, Serialize)]
pub struct Count {
    pub label: String,
    pub count: String,
}

/// An area's column of a ranking table.
#[derive(Clone, Debug, Serialize)]
pub struct AreaHead {
    pub code: String,
    pub title: String,
    pub max: String,
}

/// A unit's line of a ranking.
#[derive(Clone, Debug, Serialize)]
pub struct RankRow {
    /// Số thứ tự.
    pub stt: String,
    pub unit: String,
    /// Points per area, in the order of the group's areas.
    pub areas: Vec<String>,
    pub points: String,
    pub index: String,
    pub rank: String,
    pub classification: String,
    /// Change of index and places against the previous campaign ("+1,25 (▲ 2)"), or empty.
    pub change: String,
}

/// A unit left out of the ranking, with why.
#[derive(Clone, Debug, Serialize)]
pub struct Excluded {
    pub unit: String,
    pub note: String,
}

/// An area across a group: its average index (% of its maximum).
#[derive(Clone, Debug, Serialize)]
pub struct AreaWeakness {
    pub code: String,
    pub title: String,
    pub index: String,
}

/// A leaf across a group: the share of its maximum the units reach on average, and how many
/// units lose nothing there.
#[derive(Clone, Debug, Serialize)]
pub struct LeafWeakness {
    pub code: String,
    pub title: String,
    pub share: String,
    pub lost: String,
    pub full_marks: String,
}

/// One group of units of a campaign: its summary, ranking, charts and weakest points.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RankedGroup {
    pub label: String,
    pub framework: String,
    pub max: String,
    pub units: String,
    pub average_index: String,
    pub distribution: Vec<Count>,
    pub areas: Vec<AreaHead>,
    pub rows: Vec<RankRow>,
    pub excluded: Vec<Excluded>,
    pub charts: Vec<Chart>,
    pub weakest_areas: Vec<AreaWeakness>,
    pub weakest_leaves: Vec<LeafWeakness>,
}

/// A unit's line of a survey's results.
#[derive(Clone, Debug, Serialize)]
pub struct SurveyRow {
    pub unit: String,
    pub responses: String,
    pub target: String,
    pub index: String,
    pub interval: String,
}

/// A survey wave that fills survey leaves of the campaign.
#[derive(Clone, Debug, Serialize)]
pub struct SurveySection {
    pub title: String,
    /// The leaves it fills ("1.2, 8.1").
    pub leaves: String,
    pub rows: Vec<SurveyRow>,
}

/// An area of one unit against its group.
#[derive(Clone, Debug, Serialize)]
pub struct AreaLine {
    pub code: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub average: String,
    pub best: String,
    pub rank: String,
}

/// A leaf where a unit lost points.
#[derive(Clone, Debug, Serialize)]
pub struct LossLine {
    pub code: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub lost: String,
    pub best: String,
    pub median: String,
}

/// A leaf that scored a smaller share of its maximum than in the earlier campaign.
#[derive(Clone, Debug, Serialize)]
pub struct FallenLine {
    pub code: String,
    pub title: String,
    pub points: String,
    pub previous: String,
    pub drop: String,
}

/// The unit in one campaign of its trend.
#[derive(Clone, Debug, Serialize)]
pub struct TrendLine {
    pub year: String,
    pub campaign: String,
    pub index: String,
    pub rank: String,
}

/// One unit's results: where it stands, each area against the group, the leaves where it
/// lost points, and (in the one-unit report) the leaves that fell and its trend.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UnitSheet {
    pub unit: String,
    pub group: String,
    pub framework: String,
    pub points: String,
    pub max: String,
    pub index: String,
    pub rank: String,
    pub of: String,
    pub classification: String,
    pub areas: Vec<AreaLine>,
    pub profile: Option<Chart>,
    pub losses: Vec<LossLine>,
    /// The earlier campaign the fallen leaves are measured against.
    pub fallen_since: Option<String>,
    pub fallen: Vec<FallenLine>,
    pub trend: Vec<TrendLine>,
    pub trend_chart: Option<Chart>,
}

/// What heads every report: who issues it, which campaign, when, and whether it is published.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Heading {
    /// The issuing authority ("Ủy ban nhân dân tỉnh Thừa Thiên Huế").
    pub authority: String,
    pub campaign: String,
    pub year: String,
    /// The day the report is made ("07/12/2026").
    pub date: String,
    /// "Đã công bố …" or the preview's warning.
    pub status: String,
    pub preview: bool,
}

/// The campaign report (docs/method.md §10.1).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CampaignReport {
    pub heading: Heading,
    /// The campaign the changes are measured against, if any.
    pub compared_with: Option<String>,
    /// The classification bands with their minimum ("Tốt: từ 80").
    pub bands: Vec<String>,
    /// The classifications' names, best first (the summary's columns).
    pub classes: Vec<String>,
    pub groups: Vec<RankedGroup>,
    pub surveys: Vec<SurveySection>,
    /// One page per unit; empty when the appendix is left out.
    pub appendix: Vec<UnitSheet>,
    /// Why the appendix asked for was left out (too many units), printed in its place.
    pub appendix_note: Option<String>,
}

/// The one-unit report (docs/method.md §10.2).
#[derive(Clone, Debug, Default, Serialize)]
pub struct UnitReport {
    pub heading: Heading,
    pub sheet: UnitSheet,
}

/// A unit's line of the announcement's table.
#[derive(Clone, Debug, Serialize)]
pub struct AnnouncedRow {
    pub stt: String,
    pub unit: String,
    pub index: String,
    pub rank: String,
    pub classification: String,
}

/// One group of the announcement.
#[derive(Clone, Debug, Serialize)]
pub struct AnnouncedGroup {
    pub label: String,
    pub rows: Vec<AnnouncedRow>,
}

/// The results announcement as an administrative document (Nghị định 30/2020/NĐ-CP;
/// docs/method.md §10.3).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Announcement {
    /// The authority directly above the issuer, if the issuer names one (upper case is
    /// applied by the layout).
    pub superior: Option<String>,
    /// The issuing authority ("Ủy ban nhân dân tỉnh Thừa Thiên Huế").
    pub authority: String,
    /// Number and symbol as entered ("125/TB-UBND"); printed after "Số: ".
    pub number: String,
    /// Place name ("Thừa Thiên Huế") and date parts.
    pub place: String,
    pub day: String,
    pub month: String,
    pub year: String,
    /// The document's summary line (trích yếu), after the title "THÔNG BÁO".
    pub summary: String,
    /// Body paragraphs before and after the tables.
    pub opening: Vec<String>,
    pub groups: Vec<AnnouncedGroup>,
    pub closing: Vec<String>,
    /// "Nơi nhận:" lines.
    pub recipients: Vec<String>,
    /// The signer's capacity lines ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), title and name.
    pub capacity: Vec<String>,
    pub signer_title: String,
    pub signer_name: String,
}

/// One national index on the leadership report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IndexRow {
    pub index: String,
    pub year: String,
    pub value: String,
    pub rank: String,
    pub group: String,
    pub change: String,
    pub weakest: String,
    /// The target and whether it is met, when targets are set (empty otherwise).
    pub target: String,
}

/// One index's trend for the province: its chart and its table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IndexTrend {
    pub index: String,
    /// From two points on.
    pub chart: Option<Chart>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

/// The leadership page of the national indices, for a meeting (docs/method.md §5.7).
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeadershipReport {
    /// The issuing authority ("Ủy ban nhân dân tỉnh Thừa Thiên Huế").
    pub authority: String,
    pub province: String,
    /// The day the report is made ("07/12/2026").
    pub date: String,
    pub rows: Vec<IndexRow>,
    pub notes: Vec<String>,
    pub trends: Vec<IndexTrend>,
}

/// A goal of a plan against its result.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanGoalLine {
    pub goal: String,
    pub result: String,
    pub outcome: String,
}

/// A task of a plan's appendix, with its progress in a roll-up.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanTaskLine {
    pub stt: String,
    pub task: String,
    pub criteria: String,
    pub lead: String,
    pub coordinators: String,
    pub deadline: String,
    pub product: String,
    pub status: String,
    /// The lead's completion in the period ("60 %"), a roll-up only.
    pub percent: String,
    /// What the lead and the coordinators reported in the period, a roll-up only.
    pub report: String,
}

/// A solution group of a plan with its tasks.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanGroupLines {
    /// "I", "II"…
    pub numeral: String,
    pub title: String,
    pub rows: Vec<PlanTaskLine>,
}

/// A plan as an administrative document (docs/method.md §7.4, §7.9): its appendix of tasks,
/// or, with a period, the roll-up report to the UBND with its narrative and each task's
/// progress.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanDocument {
    pub authority: String,
    /// "PHỤ LỤC NHIỆM VỤ, GIẢI PHÁP …" or "BÁO CÁO KẾT QUẢ THỰC HIỆN …".
    pub title: String,
    /// "(Kèm theo Kế hoạch số 1886/KH-UBND ngày 10/09/2021 của UBND tỉnh …)".
    pub document: String,
    pub place: String,
    pub day: String,
    pub month: String,
    pub year: String,
    /// The roll-up's period ("Quý IV năm 2026"); none for the appendix.
    pub period: Option<String>,
    /// The roll-up's narrative, one paragraph per entry.
    pub narrative: Vec<String>,
    pub goals: Vec<PlanGoalLine>,
    pub groups: Vec<PlanGroupLines>,
}
