//! A plan's PDF documents through the report engine (docs/method.md §7.4, §7.9): the appendix
//! of tasks and a period's roll-up report to the UBND, laid out as administrative documents and
//! made in the background like every report (`/bao-cao/{job}` shows the progress).

use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::plan::{Period, TaskStatus};
use chiso_interchange::plan::roman;
use chiso_report::{PlanDocument, PlanGoalLine, PlanGroupLines, PlanTaskLine};
use chiso_store::plans;

use super::criteria_words;
use super::plan::goal_view;
use crate::app::plans::{self as app, PlanContext, effects};
use crate::app::reports::{self as jobs, Order, ReportKind};
use crate::auth::Auth;
use crate::describe::plan::{deadline_words, period_title, status_title};
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, State};
use crate::forms::{Pairs, field};
use crate::i18n::Lang;
use crate::state::AppState;

/// The document's heading: authority, place and date (Vietnam's day).
fn heading(plan: &PlanContext, title: String, period: Option<String>) -> PlanDocument {
    let authority = plan
        .plan
        .issuer
        .clone()
        .unwrap_or_else(|| plan.unit_name(plan.plan.owner_unit_id).to_string());
    PlanDocument {
        place: plan
            .units
            .get(&plan.plan.owner_unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        day: plan.today.format("%d").to_string(),
        month: plan.today.format("%m").to_string(),
        year: plan.today.format("%Y").to_string(),
        document: format!("(Kèm theo {})", plan.document_words()),
        title,
        authority,
        period,
        ..PlanDocument::default()
    }
}

/// The tasks by group, with their progress in `period` for a roll-up.
fn groups(plan: &PlanContext, period: Option<Period>) -> Vec<PlanGroupLines> {
    let lang = Lang::Vi;
    let code = period.map(|p| p.as_code());
    let mut number = 0;
    let mut line = |t: &plans::TaskRow| {
        number += 1;
        let in_period: Vec<_> = plan
            .reports_of(t.id)
            .filter(|r| Some(&r.period) == code.as_ref())
            .collect();
        let lead = in_period.iter().find(|r| r.unit_id == t.lead_unit_id);
        let mut report: Vec<String> = lead.map(|r| r.narrative.clone()).into_iter().collect();
        report.extend(
            in_period
                .iter()
                .filter(|r| r.unit_id != t.lead_unit_id)
                .map(|r| format!("{}: {}", plan.unit_name(r.unit_id), r.narrative)),
        );
        PlanTaskLine {
            stt: number.to_string(),
            task: t.title.clone(),
            criteria: criteria_words(&t.targets),
            lead: plan.unit_name(t.lead_unit_id).to_string(),
            coordinators: t
                .coordinators
                .iter()
                .map(|c| plan.unit_name(*c).to_string())
                .collect::<Vec<_>>()
                .join("; "),
            deadline: deadline_words(lang, &t.deadline),
            product: t.product.clone(),
            status: status_title(lang, t.status).to_string(),
            percent: match (t.status, lead) {
                (TaskStatus::Done, _) => "100 %".into(),
                (_, Some(r)) => format!("{} %", r.percent),
                _ => String::new(),
            },
            report: report.join("\n"),
        }
    };
    let mut out: Vec<PlanGroupLines> = Vec::new();
    for group in &plan.groups {
        let rows: Vec<PlanTaskLine> = plan
            .tasks
            .iter()
            .filter(|t| t.group_id == Some(group.id))
            .map(&mut line)
            .collect();
        if !rows.is_empty() {
            out.push(PlanGroupLines {
                numeral: String::new(),
                title: group.title.clone(),
                rows,
            });
        }
    }
    let loose: Vec<PlanTaskLine> = plan
        .tasks
        .iter()
        .filter(|t| t.group_id.is_none())
        .map(&mut line)
        .collect();
    if !loose.is_empty() {
        out.push(PlanGroupLines {
            numeral: String::new(),
            title: "Nhiệm vụ khác".into(),
            rows: loose,
        });
    }
    for (n, group) in out.iter_mut().enumerate() {
        group.numeral = roman(n + 1);
    }
    out
}

/// Starts the appendix's PDF.
pub async fn appendix_pdf(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    let (plan, _) = app::readable(&state.db, &principal, id.get()?, state.clock.today()).await?;
    let mut data = heading(
        &plan,
        format!(
            "PHỤ LỤC\nNHIỆM VỤ, GIẢI PHÁP {}",
            plan.plan.title.to_uppercase()
        ),
        None,
    );
    data.groups = groups(&plan, None);
    let file_name = format!("phu-luc-ke-hoach-{}.pdf", plan.plan.id);
    start_pdf(&state, &principal, plan.plan.id, file_name, data).await
}

/// Starts the typesetting of a plan document in the background and sends the browser to the
/// job's page.
async fn start_pdf(
    state: &AppState,
    principal: &crate::auth::Principal,
    plan_id: i64,
    file_name: String,
    data: PlanDocument,
) -> AppResult<Response> {
    let job = jobs::start(
        state,
        principal,
        Order {
            campaign_id: plan_id,
            kind: ReportKind::Plan,
            file_name,
            cache: None,
            make: move |progress: &mut dyn FnMut(chiso_report::Stage)| {
                chiso_report::plan_document(&data, progress)
            },
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/bao-cao/{job}")).into_response())
}

/// Starts a period's roll-up report as PDF: its saved narrative (else the draft), the goals
/// and each task's progress in the period.
pub async fn rollup_pdf(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    ids: PathId<(i64, String)>,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    let (plan_id, code) = ids.get()?;
    let (plan, _) = app::readable(&state.db, &principal, plan_id, state.clock.today()).await?;
    let theme = field(&pairs, "chi_so").to_string();
    let plan = match theme.as_str() {
        "" => plan,
        index if plan.themes().iter().any(|t| t == index) => plan.theme(index),
        _ => return Err(AppError::NotFound),
    };
    let period = super::tracking::period_of(&code, &plan)?;
    let lang = Lang::Vi;
    let narrative = match plans::rollup(&state.db, plan.plan.id, period).await? {
        Some(saved) => saved.narrative,
        None => super::tracking::draft_narrative(lang, &plan, period),
    };
    let goals = effects::goals(&state.db, &plan, state.config.province_code.as_deref()).await?;
    let mut data = heading(
        &plan,
        if theme.is_empty() {
            format!(
                "BÁO CÁO KẾT QUẢ THỰC HIỆN {}",
                plan.plan.title.to_uppercase()
            )
        } else {
            format!(
                "BÁO CÁO CHUYÊN ĐỀ {}: KẾT QUẢ THỰC HIỆN {}",
                super::index_words(lang, &theme).to_uppercase(),
                plan.plan.title.to_uppercase()
            )
        },
        Some(period_title(lang, &period.as_code())),
    );
    data.narrative = narrative
        .split("\n\n")
        .flat_map(|p| p.split('\n'))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    data.goals = goals
        .iter()
        .map(|g| {
            let view = goal_view(lang, g);
            PlanGoalLine {
                goal: format!("{} ({})", view.text, view.year),
                result: view.result,
                outcome: view.outcome,
            }
        })
        .collect();
    data.groups = groups(&plan, Some(period));
    let file_name = format!("bao-cao-ke-hoach-{}-{code}.pdf", plan.plan.id);
    start_pdf(&state, &principal, plan.plan.id, file_name, data).await
}
