//! A plan's workbooks (docs/formats.md §8.16): the appendix in the standard layout, the
//! period's roll-up for the UBND, the emulation table; and a plan made from an appendix.

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::org::search_form;
use chiso_domain::plan::{Period, TaskStatus, emulation};
use chiso_interchange::plan::{
    AppendixDoc, AppendixError, AppendixGroup, AppendixTask, Contribution, EmulationDoc,
    EmulationUnit, ProblemKind, RollupDoc, RollupGroup, RollupSummary, RollupTask, RollupUnit,
    read_appendix, write_appendix, write_emulation, write_rollup,
};
use chiso_store::plans::{self, DraftGroup, PlanFields, TaskFields};
use chiso_store::units::{self, OrgUnit};
use chrono::Datelike;

use super::criteria_words;
use super::plan::parse_criteria;
use crate::app::plans::progress::{owing, standing};
use crate::app::plans::{self as app, PlanContext, province_unit, reminders};
use crate::auth::{Context, Principal};
use crate::describe::Describe;
use crate::describe::plan::{deadline_words, period_title};
use crate::downloads::{XLSX, download};
use crate::error::{AppError, AppResult};
use crate::extract::multipart::{PlanAppendixForm, Upload, UploadRefusal};
use crate::extract::{PathId, Query, State};
use crate::forms::parse_date;
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;

/// The authority line of a plan's documents: its issuer, else its owner, in capitals.
fn authority(plan: &PlanContext) -> String {
    plan.plan
        .issuer
        .clone()
        .unwrap_or_else(|| plan.unit_name(plan.plan.owner_unit_id).to_string())
        .to_uppercase()
}

fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing a plan workbook: {error}"))
}

/// The plan's groups with their tasks, in order; tasks outside a group last.
fn grouped(plan: &PlanContext) -> Vec<(String, Vec<&chiso_store::plans::TaskRow>)> {
    let mut groups: Vec<(String, Vec<_>)> = plan
        .groups
        .iter()
        .map(|g| {
            (
                g.title.clone(),
                plan.tasks
                    .iter()
                    .filter(|t| t.group_id == Some(g.id))
                    .collect(),
            )
        })
        .collect();
    let loose: Vec<_> = plan.tasks.iter().filter(|t| t.group_id.is_none()).collect();
    if !loose.is_empty() {
        groups.push(("Nhiệm vụ khác".to_string(), loose));
    }
    groups.retain(|(_, tasks)| !tasks.is_empty());
    groups
}

/// The appendix (STT | nhiệm vụ | tiêu chí liên quan | cơ quan chủ trì | cơ quan phối hợp |
/// thời hạn | sản phẩm | tình trạng) as .xlsx.
pub async fn appendix(
    State(state): State<AppState>,
    crate::auth::Auth(principal, _context): crate::auth::Auth,
    id: PathId,
) -> AppResult<Response> {
    let (plan, _) = app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let lang = Lang::Vi;
    let doc = AppendixDoc {
        authority: authority(&plan),
        title: format!(
            "PHỤ LỤC\nNHIỆM VỤ, GIẢI PHÁP {}",
            plan.plan.title.to_uppercase()
        ),
        document: format!("(Kèm theo {})", plan.document_words()),
        groups: grouped(&plan)
            .into_iter()
            .map(|(title, tasks)| AppendixGroup {
                title,
                tasks: tasks
                    .into_iter()
                    .map(|t| AppendixTask {
                        title: t.title.clone(),
                        criteria: criteria_words(&t.targets)
                            .split("; ")
                            .filter(|c| !c.is_empty())
                            .map(str::to_string)
                            .collect(),
                        lead: plan.unit_name(t.lead_unit_id).to_string(),
                        coordinators: t
                            .coordinators
                            .iter()
                            .map(|c| plan.unit_name(*c).to_string())
                            .collect(),
                        deadline: deadline_words(lang, &t.deadline),
                        product: t.product.clone(),
                        status: Some(t.status),
                    })
                    .collect(),
            })
            .collect(),
    };
    let bytes = write_appendix(&doc).map_err(internal)?;
    Ok(download(
        XLSX,
        format!("phu-luc-ke-hoach-{}.xlsx", plan.plan.id),
        bytes,
    ))
}

/// The roll-up of a period for the UBND: every task with the lead's report and the
/// coordinators' contributions, and every lead unit with its counts.
pub async fn rollup(
    State(state): State<AppState>,
    crate::auth::Auth(principal, _context): crate::auth::Auth,
    ids: PathId<(i64, String)>,
    Query(theme): Query<ThemeQuery>,
) -> AppResult<Response> {
    let (plan_id, code) = ids.get()?;
    let (plan, _) = app::readable(&state.db, &principal, plan_id, state.clock.today()).await?;
    let period = super::tracking::period_of(&code, &plan)?;
    let (plan, suffix) = match theme.chi_so.as_str() {
        "" => (plan, String::new()),
        index if plan.themes().iter().any(|t| t == index) => {
            (plan.theme(index), format!("-{index}"))
        }
        _ => return Err(AppError::NotFound),
    };
    let mut doc = rollup_doc(&plan, period);
    if !suffix.is_empty() {
        let words = super::index_words(Lang::Vi, &theme.chi_so).to_uppercase();
        doc.title = format!("{} – {words}", doc.title);
    }
    let bytes = write_rollup(&doc).map_err(internal)?;
    Ok(download(
        XLSX,
        format!("bao-cao-tong-hop-{}-{code}{suffix}.xlsx", plan.plan.id),
        bytes,
    ))
}

/// The index a thematic report is about (`?chi_so=papi`); empty for the whole plan.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ThemeQuery {
    pub chi_so: String,
}

/// The roll-up's content from the plan's reports in the period.
pub fn rollup_doc(plan: &PlanContext, period: Period) -> RollupDoc {
    let now = standing(plan, period);
    let code = period.as_code();
    let count =
        |status: TaskStatus| plan.tasks.iter().filter(|t| t.status == status).count() as u32;
    let task = |t: &chiso_store::plans::TaskRow| {
        let in_period: Vec<_> = plan.reports_of(t.id).filter(|r| r.period == code).collect();
        let lead = in_period.iter().find(|r| r.unit_id == t.lead_unit_id);
        RollupTask {
            title: t.title.clone(),
            lead: plan.unit_name(t.lead_unit_id).to_string(),
            status: t.status,
            percent: lead.map(|r| r.percent as f64),
            narrative: lead.map(|r| r.narrative.clone()).unwrap_or_default(),
            contributions: in_period
                .iter()
                .filter(|r| r.unit_id != t.lead_unit_id)
                .map(|r| Contribution {
                    unit: plan.unit_name(r.unit_id).to_string(),
                    text: r.narrative.clone(),
                })
                .collect(),
            overdue: now.of(t.id).is_some_and(|p| p.overdue()),
        }
    };
    let owed: Vec<i64> = owing(plan, period).iter().map(|o| o.unit_id).collect();
    let mut units: HashMap<i64, RollupUnit> = HashMap::new();
    let mut sums: HashMap<i64, (f64, u32)> = HashMap::new();
    for t in plan
        .tasks
        .iter()
        .filter(|t| t.status != TaskStatus::Cancelled)
    {
        let unit = units.entry(t.lead_unit_id).or_insert_with(|| RollupUnit {
            name: plan.unit_name(t.lead_unit_id).to_string(),
            reported: !owed.contains(&t.lead_unit_id),
            ..RollupUnit::default()
        });
        unit.lead_tasks += 1;
        unit.done += u32::from(t.status == TaskStatus::Done);
        let progress = now.of(t.id);
        unit.overdue += u32::from(progress.is_some_and(|p| p.overdue()));
        let sum = sums.entry(t.lead_unit_id).or_default();
        sum.0 += progress.map_or(0.0, |p| p.percent as f64);
        sum.1 += 1;
    }
    let mut units: Vec<RollupUnit> = units
        .into_iter()
        .map(|(id, mut u)| {
            u.average_percent = sums
                .get(&id)
                .filter(|s| s.1 > 0)
                .map(|s| s.0 / f64::from(s.1));
            u
        })
        .collect();
    units.sort_by(|a, b| a.name.cmp(&b.name));
    let reported = plan
        .tasks
        .iter()
        .filter(|t| now.of(t.id).is_some_and(|p| p.reported))
        .count() as u32;
    RollupDoc {
        authority: authority(plan),
        title: format!(
            "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN {}",
            plan.plan.title.to_uppercase()
        ),
        document: plan.document_words(),
        period: period_title(Lang::Vi, &code),
        made_on: plan.today.format("%d/%m/%Y").to_string(),
        summary: RollupSummary {
            tasks: now.total.tasks as u32,
            done: count(TaskStatus::Done),
            in_progress: count(TaskStatus::InProgress) + count(TaskStatus::AwaitingAcceptance),
            not_started: count(TaskStatus::NotStarted),
            overdue: now.total.overdue as u32,
            reported,
            not_reported: now.total.not_reported as u32,
            average_percent: (now.total.tasks > 0).then(|| now.total.mean_percent()),
        },
        groups: grouped(plan)
            .into_iter()
            .map(|(title, tasks)| RollupGroup {
                title,
                tasks: tasks.into_iter().map(task).collect(),
            })
            .collect(),
        units,
    }
}

/// The emulation table: the lead units ranked by the stated rule
/// (`chiso_domain::plan::emulation`), with their index before and after the plan when the
/// plan was drafted from a campaign.
pub async fn emulation(
    State(state): State<AppState>,
    crate::auth::Auth(principal, _context): crate::auth::Auth,
    id: PathId,
) -> AppResult<Response> {
    let (plan, _) = app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let period = crate::app::plans::progress::current_period(&plan);
    let now = standing(&plan, period);
    let indices = crate::app::plans::effects::unit_indices(&state.db, &plan).await?;
    let mut rows: Vec<EmulationUnit> = Vec::new();
    let mut leads: Vec<i64> = plan.tasks.iter().map(|t| t.lead_unit_id).collect();
    leads.sort_unstable();
    leads.dedup();
    for unit in leads {
        let tasks: Vec<_> = plan
            .tasks
            .iter()
            .filter(|t| t.lead_unit_id == unit && t.status != TaskStatus::Cancelled)
            .collect();
        if tasks.is_empty() {
            continue;
        }
        let progress: Vec<_> = tasks.iter().filter_map(|t| now.of(t.id)).collect();
        let overdue = progress.iter().filter(|p| p.overdue()).count() as u32;
        let mean = progress
            .iter()
            .map(|p| if p.overdue() { 0.0 } else { p.percent as f64 })
            .sum::<f64>()
            / tasks.len() as f64;
        let (previous, current) = indices.get(&unit).copied().unwrap_or((None, None));
        let change = previous
            .zip(current)
            .map(|(p, c)| ((c - p) * 100.0).round() / 100.0);
        rows.push(EmulationUnit {
            rank: 0,
            name: plan.unit_name(unit).to_string(),
            lead_tasks: tasks.len() as u32,
            done_on_time: tasks
                .iter()
                .filter(|t| t.status == TaskStatus::Done)
                .count() as u32,
            overdue,
            average_percent: Some(mean),
            index_previous: previous,
            index_current: current,
            change,
            score: emulation::score(mean, change),
        });
    }
    let ranks = emulation::ranks(&rows.iter().map(|r| r.score).collect::<Vec<_>>());
    for (row, rank) in rows.iter_mut().zip(ranks) {
        row.rank = rank;
    }
    rows.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.name.cmp(&b.name)));
    let doc = EmulationDoc {
        authority: authority(&plan),
        title: format!(
            "BẢNG XẾP HẠNG THI ĐUA THỰC HIỆN {}",
            plan.plan.title.to_uppercase()
        ),
        rule: i18n::text(Lang::Vi, "plans.emulation_rule").to_string(),
        document: plan.document_words(),
        period: period_title(Lang::Vi, &period.as_code()),
        made_on: plan.today.format("%d/%m/%Y").to_string(),
        units: rows,
    };
    let bytes = write_emulation(&doc).map_err(internal)?;
    Ok(download(
        XLSX,
        format!("thi-dua-ke-hoach-{}.xlsx", plan.plan.id),
        bytes,
    ))
}

/// A unit by the name a file gives it: its name or code, ignoring case and diacritics.
fn unit_named<'a>(units: &'a [OrgUnit], name: &str) -> Option<&'a OrgUnit> {
    let folded = search_form(name.trim());
    units
        .iter()
        .find(|u| search_form(&u.name) == folded || search_form(&u.code) == folded)
}

/// Units named by a cell's names, rejoining names a comma split ("Sở Văn hóa" + "Thể thao và
/// Du lịch" is the Sở Văn hóa, Thể thao và Du lịch): each fragment starts a name, which takes
/// the following fragments while that makes a unit's name. Unmatched names come back as `Err`.
fn units_named(units: &[OrgUnit], names: &[String]) -> Vec<Result<i64, String>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < names.len() {
        let mut found = None;
        let mut joined = String::new();
        for (end, name) in names.iter().enumerate().skip(at) {
            if !joined.is_empty() {
                joined.push_str(", ");
            }
            joined.push_str(name.trim());
            if let Some(unit) = unit_named(units, &joined) {
                found = Some((unit.id, end));
                break;
            }
        }
        match found {
            Some((id, end)) => {
                out.push(Ok(id));
                at = end + 1;
            }
            None => {
                out.push(Err(names[at].clone()));
                at += 1;
            }
        }
    }
    out
}

fn problem_words(lang: Lang, kind: &ProblemKind) -> String {
    match kind {
        ProblemKind::MissingTask => i18n::text(lang, "plans.appendix_missing_task").to_string(),
        ProblemKind::MissingLead => i18n::text(lang, "plans.appendix_missing_lead").to_string(),
        ProblemKind::MissingDeadline => {
            i18n::text(lang, "plans.appendix_missing_deadline").to_string()
        }
        ProblemKind::Deadline(error) => {
            chiso_domain::plan::PlanRefusal::Deadline(error.clone()).describe(lang)
        }
        ProblemKind::Status(text) => {
            i18n::fill(lang, "plans.appendix_bad_status", &[("text", text)])
        }
    }
}

fn appendix_error_words(lang: Lang, error: &AppendixError) -> String {
    match error {
        AppendixError::Sheet(sheet) => i18n::fill(
            lang,
            "plans.appendix_unreadable",
            &[("detail", &sheet.message())],
        ),
        AppendixError::NoHeader => i18n::text(lang, "plans.appendix_no_header").to_string(),
        AppendixError::MissingColumn { column } => i18n::fill(
            lang,
            "plans.appendix_missing_column",
            &[("column", &column.header())],
        ),
    }
}

/// Makes a plan from an uploaded appendix: every row read, every agency matched, or nothing
/// and the problems listed by row and column.
pub async fn import_appendix(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    upload: Upload<PlanAppendixForm>,
) -> AppResult<Response> {
    let lang = context.lang;
    let refuse = |errors: Vec<String>| async move {
        let page = super::list::refused_page(state, principal, context, errors).await?;
        Ok::<Response, AppError>(page)
    };
    let received = match upload.read().await {
        Ok(received) => received,
        Err(UploadRefusal::TooLarge { .. }) => {
            return refuse(vec![
                i18n::text(lang, "plans.error_file_too_large").to_string(),
            ])
            .await;
        }
        Err(UploadRefusal::Invalid(refusal)) => {
            return refuse(vec![refusal.message().to_string()]).await;
        }
    };
    let Some(file) = received.file.as_ref().filter(|f| !f.bytes.is_empty()) else {
        return refuse(vec![i18n::text(lang, "plans.appendix_no_file").to_string()]).await;
    };
    let appendix = match read_appendix(&file.bytes) {
        Ok(appendix) => appendix,
        Err(error) => return refuse(vec![appendix_error_words(lang, &error)]).await,
    };
    let all = units::list(&state.db).await?;
    let today = state.clock.today();
    let current: Vec<OrgUnit> = all
        .iter()
        .filter(|u| u.is_current_on(today))
        .cloned()
        .collect();
    let mut errors: Vec<String> = appendix
        .problems
        .iter()
        .map(|p| {
            i18n::fill(
                lang,
                "plans.appendix_problem",
                &[
                    ("row", &p.row),
                    ("column", &p.column),
                    ("problem", &problem_words(lang, &p.kind)),
                ],
            )
        })
        .collect();
    let year = received
        .get("year")
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push(i18n::text(lang, "plans.error_year").to_string());
    }
    let title = received.get("title").trim().to_string();
    if title.is_empty() {
        errors.push(i18n::text(lang, "plans.refused_no_title").to_string());
    }
    let doc_date = parse_date(&received.get("doc_date")).unwrap_or_else(|_| {
        errors.push(i18n::text(lang, "plans.error_doc_date").to_string());
        None
    });
    let mut groups: Vec<DraftGroup> = appendix
        .groups
        .iter()
        .map(|g| DraftGroup {
            title: g.clone(),
            index_id: None,
            tasks: Vec::new(),
        })
        .collect();
    let mut loose = Vec::new();
    for row in &appendix.rows {
        let named = |name: &str, column: &str, errors: &mut Vec<String>| {
            let found = unit_named(&current, name).map(|u| u.id);
            if found.is_none() {
                errors.push(i18n::fill(
                    lang,
                    "plans.appendix_unknown_unit",
                    &[("row", &row.row), ("column", &column), ("name", &name)],
                ));
            }
            found
        };
        let lead = named(&row.lead, "chủ trì", &mut errors);
        let mut coordinators: Vec<i64> = Vec::new();
        for named_unit in units_named(&current, &row.coordinators) {
            match named_unit {
                Ok(id) if Some(id) != lead && !coordinators.contains(&id) => coordinators.push(id),
                Ok(_) => {}
                Err(name) => errors.push(i18n::fill(
                    lang,
                    "plans.appendix_unknown_unit",
                    &[("row", &row.row), ("column", &"phối hợp"), ("name", &name)],
                )),
            }
        }
        let (Some(lead), Some(deadline)) = (lead, row.deadline) else {
            continue;
        };
        let task = TaskFields {
            group_id: None,
            serves_task_id: None,
            title: row.title.clone(),
            product: row.product.clone(),
            deadline,
            priority: 2,
            lead_unit_id: lead,
            division: None,
            coordinators,
            targets: parse_criteria(&row.criteria.join("; "), &[], None),
            assigned_on: today,
        };
        match row.group.and_then(|g| groups.get_mut(g)) {
            Some(group) => group.tasks.push(task),
            None => loose.push(task),
        }
    }
    if !errors.is_empty() {
        return refuse(errors).await;
    }
    if !loose.is_empty() {
        groups.push(DraftGroup {
            title: i18n::text(lang, "plans.draft_group_other").to_string(),
            index_id: None,
            tasks: loose,
        });
    }
    let Some(owner) = province_unit(&all, today) else {
        return refuse(vec![
            i18n::text(lang, "plans.error_no_province").to_string(),
        ])
        .await;
    };
    let text = |name: &str| Some(received.get(name).trim().to_string()).filter(|t| !t.is_empty());
    let fields = PlanFields {
        owner_unit_id: owner.id,
        parent_id: None,
        campaign_id: None,
        year: year.unwrap_or(today.year() as i64),
        title,
        doc_number: text("doc_number"),
        doc_date,
        issuer: text("issuer"),
        signer: None,
        implements: String::new(),
    };
    let id = plans::create_with_tasks(&state.db, &principal.actor(), &fields, &groups).await?;
    let plan = PlanContext::load(&state.db, id, today).await?;
    for task in &plan.tasks {
        reminders::task_assigned(&state.db, &state.clock, &plan.plan, task).await?;
    }
    Ok(Redirect::to(&format!("{}?msg=plans.imported", paths::plan(id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, name: &str) -> OrgUnit {
        OrgUnit {
            id,
            code: format!("S{id:02}"),
            name: name.into(),
            kind: chiso_domain::org::OrgKind::Department,
            parent_id: None,
            region: None,
            valid_from: chrono::NaiveDate::MIN,
            valid_to: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn names_a_comma_split_are_joined_again() {
        let units = [
            unit(1, "Sở Văn hóa, Thể thao và Du lịch"),
            unit(2, "Sở Nội vụ"),
        ];
        let names: Vec<String> = [
            "Sở Văn hoá",
            "Thể thao và Du lịch",
            "sở nội vụ",
            "Sở Không Có",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            units_named(&units, &names),
            vec![Ok(1), Ok(2), Err("Sở Không Có".to_string())]
        );
    }
}
