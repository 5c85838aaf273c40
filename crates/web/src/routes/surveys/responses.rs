//! A wave's single responses (/khao-sat/dot/{wave}/phieu-tra-loi): the paged list of a slice,
//! one response with its questions and answers, excluding it from the index or restoring it,
//! and the microdata export (du-lieu.csv/.xlsx/.json) with its codebook (bo-ma.csv/.json).
//! Who reads which units: `app::survey::microdata::reader_units`; excluding is the
//! secretariat's.

use axum::body::Body;
use chiso_store::surveys::{ResponseFilter, ResponseRecord, ResponseStatus};
use chiso_survey::microdata::Microdata;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::app::survey::microdata::{
    self as micro, Format, reader_units, require_exclusion_right, wave_and_questionnaire, within,
};

/// Responses per page of the list.
const PAGE_SIZE: i64 = 50;

/// The slice a query asks for (the list, the download panel and the exports share it):
/// `don_vi`, `dich_vu`, `kenh` (each repeatable), `tu` and `den` (days, Vietnam time,
/// both included), `trang_thai`.
#[derive(Clone, Debug, Default)]
pub struct SliceQuery {
    pub units: Vec<i64>,
    pub services: Vec<i64>,
    pub channels: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub status: ResponseStatus,
    pub page: i64,
}

impl SliceQuery {
    pub fn parse(pairs: &[(String, String)]) -> SliceQuery {
        fn values<'a>(
            pairs: &'a [(String, String)],
            key: &'a str,
        ) -> impl Iterator<Item = &'a str> + 'a {
            pairs
                .iter()
                .filter(move |(k, v)| k == key && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        }
        let all = |key: &'static str| values(pairs, key);
        let date = |key: &'static str| all(key).next().and_then(|v| parse_date(v).ok().flatten());
        SliceQuery {
            units: all("don_vi").filter_map(|v| v.parse().ok()).collect(),
            services: all("dich_vu").filter_map(|v| v.parse().ok()).collect(),
            channels: all("kenh").map(normalize).collect(),
            from: date("tu"),
            to: date("den"),
            status: all("trang_thai")
                .next()
                .and_then(ResponseStatus::parse)
                .unwrap_or_default(),
            page: all("trang")
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1i64)
                .max(1),
        }
    }

    /// The store's filter: days in Vietnam time become instants (from 00:00 of `tu` to
    /// 00:00 after `den`).
    pub fn filter(&self) -> ResponseFilter {
        let midnight = |day: NaiveDate| -> DateTime<Utc> {
            day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - Duration::hours(7)
        };
        ResponseFilter {
            units: (!self.units.is_empty()).then(|| self.units.clone()),
            services: self.services.clone(),
            channels: self.channels.clone(),
            from: self.from.map(midnight),
            until: self.to.and_then(|d| d.succ_opt()).map(midnight),
            status: self.status,
        }
    }

    /// The query string of the slice (without the page), for links and downloads.
    pub fn query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.units.iter().map(|u| format!("don_vi={u}")));
        parts.extend(self.services.iter().map(|s| format!("dich_vu={s}")));
        parts.extend(
            self.channels
                .iter()
                .map(|c| format!("kenh={}", crate::error::urlencode(c))),
        );
        if let Some(d) = self.from {
            parts.push(format!("tu={d}"));
        }
        if let Some(d) = self.to {
            parts.push(format!("den={d}"));
        }
        if self.status != ResponseStatus::All {
            parts.push(format!("trang_thai={}", self.status.as_str()));
        }
        parts.join("&")
    }

    /// The slice in words, for the audit row of an export.
    fn describe(&self, lang: Lang, format: Format, units: &[(i64, String, bool)]) -> String {
        let mut parts = vec![format.extension().to_uppercase()];
        let named: Vec<&str> = units
            .iter()
            .filter(|(id, _, _)| self.units.contains(id))
            .map(|(_, label, _)| label.as_str())
            .collect();
        if !named.is_empty() {
            parts.push(format!("{}: {}", t(lang, "surveys.unit"), named.join("; ")));
        }
        if !self.channels.is_empty() {
            parts.push(format!(
                "{}: {}",
                t(lang, "surveys.channel"),
                self.channels
                    .iter()
                    .map(|c| channel_title(lang, &surveys::Channel::parse(c)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if !self.services.is_empty() {
            parts.push(format!(
                "{}: {}",
                t(lang, "surveys.responses_services"),
                self.services.len()
            ));
        }
        if self.from.is_some() || self.to.is_some() {
            parts.push(format!(
                "{} {} – {}",
                t(lang, "surveys.responses_period"),
                self.from.map(i18n::date).unwrap_or_default(),
                self.to.map(i18n::date).unwrap_or_default()
            ));
        }
        parts.push(status_title(lang, self.status).to_string());
        parts.join(", ")
    }
}

fn normalize(channel: &str) -> String {
    surveys::normalize_channel(channel)
}

fn status_title(lang: Lang, status: ResponseStatus) -> &'static str {
    t(
        lang,
        &format!("surveys.response_status.{}", status.as_str()),
    )
}

/// The options of the slice form: units, services and channels of the wave the reader sees.
pub struct SliceOptions {
    /// (id, "code — name", ticked)
    pub units: Vec<(i64, String, bool)>,
    pub services: Vec<(i64, String, bool)>,
    pub channels: Vec<(String, String, bool)>,
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub from: String,
    pub to: String,
}

pub(super) async fn slice_options(
    state: &AppState,
    lang: Lang,
    wave_id: i64,
    scope: &Option<Vec<i64>>,
    slice: &SliceQuery,
) -> AppResult<SliceOptions> {
    let sees = |id: i64| scope.as_ref().is_none_or(|s| s.contains(&id));
    let wave_units = surveys::wave_units(&state.db, wave_id).await?;
    let units = wave_units
        .iter()
        .filter(|u| sees(u.unit_id))
        .map(|u| {
            (
                u.unit_id,
                format!("{} — {}", u.unit_code, u.unit_name),
                slice.units.contains(&u.unit_id),
            )
        })
        .collect();
    let services = surveys::services(&state.db, wave_id, None)
        .await?
        .into_iter()
        .filter(|s| sees(s.unit_id))
        .map(|s| {
            let unit = wave_units
                .iter()
                .find(|u| u.unit_id == s.unit_id)
                .map(|u| u.unit_code.clone())
                .unwrap_or_default();
            (
                s.id,
                format!("{unit} · {} — {}", s.code, s.name),
                slice.services.contains(&s.id),
            )
        })
        .collect();
    let channels = surveys::channels(&state.db, wave_id)
        .await?
        .into_iter()
        .map(|c| {
            let ticked = slice.channels.iter().any(|s| s == c.as_str());
            (c.to_string(), channel_title(lang, &c), ticked)
        })
        .collect();
    let statuses = ResponseStatus::ALL
        .into_iter()
        .map(|s| (s.as_str(), status_title(lang, s), s == slice.status))
        .collect();
    Ok(SliceOptions {
        units,
        services,
        channels,
        statuses,
        from: slice.from.map(|d| d.to_string()).unwrap_or_default(),
        to: slice.to.map(|d| d.to_string()).unwrap_or_default(),
    })
}

/// One response in the list.
pub struct ResponseLine {
    pub id: i64,
    pub at: String,
    pub unit: String,
    pub service: String,
    pub channel: String,
    /// The answers as their codes in item order, `·` for a blank.
    pub answers: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

fn status_of(lang: Lang, r: &ResponseRecord) -> (&'static str, &'static str) {
    if r.is_excluded() {
        (status_title(lang, ResponseStatus::Excluded), "excluded")
    } else if r.flagged_duplicate {
        (status_title(lang, ResponseStatus::Flagged), "flagged")
    } else {
        (status_title(lang, ResponseStatus::Counted), "counted")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/responses.html")]
pub struct ResponsesPage {
    page: Page,
    wave: WaveRow,
    options: SliceOptions,
    lines: Vec<ResponseLine>,
    total: String,
    /// "Trang 2/7".
    position: String,
    previous: Option<String>,
    next: Option<String>,
}

pub async fn responses_list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<ResponsesPage> {
    let scope = reader_units(&state, &principal).await?;
    let [wave_id] = ids::<1>(&raw)?;
    let lang = context.lang;
    let (wave, questionnaire) = wave_and_questionnaire(&state, wave_id).await?;
    let slice = SliceQuery::parse(&query);
    let filter = within(slice.filter(), &scope);
    let total = surveys::count_responses(&state.db, wave_id, &filter).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = slice.page.min(pages);
    let rows = surveys::responses_page(
        &state.db,
        wave_id,
        &filter,
        (page_no - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await?;
    let lines = rows
        .iter()
        .map(|r| {
            let (status, status_class) = status_of(lang, r);
            ResponseLine {
                id: r.id,
                at: i18n::date_time_seconds(r.submitted_at),
                unit: format!("{} — {}", r.unit_code, r.unit_name),
                service: r
                    .service_code
                    .as_ref()
                    .map(|c| format!("{c} — {}", r.service_name.clone().unwrap_or_default()))
                    .unwrap_or_default(),
                channel: channel_title(lang, &surveys::Channel::parse(&r.channel)),
                answers: r
                    .answers
                    .iter()
                    .map(|&a| {
                        (a as usize)
                            .checked_sub(1)
                            .and_then(|p| questionnaire.scale.answers.get(p))
                            .map_or("·", |a| a.code.as_str())
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                status,
                status_class,
            }
        })
        .collect();
    let slice_query = slice.query();
    let link = |n: i64| format!("?{slice_query}&trang={n}");
    Ok(ResponsesPage {
        page: Page::new(&context, "surveys.responses_title"),
        options: slice_options(&state, lang, wave_id, &scope, &slice).await?,
        lines,
        total: integer(lang, total.max(0) as u64),
        position: i18n::fill(
            lang,
            "surveys.responses_position",
            &[("page", &page_no), ("pages", &pages)],
        ),
        previous: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        wave,
    })
}

/// A question of the response with its answer.
pub struct AnswerLine {
    pub number: String,
    pub title: String,
    pub code: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/response.html")]
pub struct ResponsePage {
    page: Page,
    wave: WaveRow,
    id: i64,
    unit: String,
    service: String,
    channel: String,
    at: String,
    respondent: String,
    weight: String,
    status: &'static str,
    status_class: &'static str,
    answers: Vec<AnswerLine>,
    demographics: Vec<AnswerLine>,
    expectations: Vec<String>,
    expectations_title: String,
    comment: Option<String>,
    /// (reason, by, at) when excluded.
    exclusion: Option<(String, String, String)>,
    may_exclude: bool,
    excluded: bool,
    error: Option<String>,
}

/// The response's answers with their questions, its demographics and its expectations, in
/// the questionnaire's words.
fn answer_lines(
    lang: Lang,
    q: &Questionnaire,
    r: &ResponseRecord,
) -> (Vec<AnswerLine>, Vec<AnswerLine>, Vec<String>) {
    let answers = q
        .items
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let at = r.answers.get(k).copied().unwrap_or(0) as usize;
            let answer = at.checked_sub(1).filter(|&p| p < q.scale.answers.len());
            AnswerLine {
                number: i18n::fill(lang, "surveys.item_number", &[("n", &(k + 1))]),
                title: item.title.clone(),
                code: answer.map_or("—".into(), |p| q.scale.answers[p].code.clone()),
                label: answer.map_or_else(
                    || t(lang, "surveys.not_answered").to_string(),
                    |p| item.answer_label(&q.scale, p).to_string(),
                ),
            }
        })
        .collect();
    let demographics_bytes = r.demographics.clone().unwrap_or_default();
    let demographics = q
        .demographics
        .iter()
        .enumerate()
        .map(|(k, question)| {
            let at = demographics_bytes.get(k).copied().unwrap_or(0) as usize;
            let option = at.checked_sub(1).and_then(|p| question.options.get(p));
            AnswerLine {
                number: String::new(),
                title: question.title.clone(),
                code: option.map_or("—".into(), |o| o.code.clone()),
                label: option.map_or_else(
                    || t(lang, "surveys.not_answered").to_string(),
                    |o| o.label.clone(),
                ),
            }
        })
        .collect();
    let expectations = q
        .expectations
        .as_ref()
        .map(|e| {
            r.expectations
                .clone()
                .unwrap_or_default()
                .iter()
                .filter_map(|&a| {
                    (a as usize)
                        .checked_sub(1)
                        .and_then(|p| e.question.options.get(p))
                })
                .map(|o| o.label.clone())
                .collect()
        })
        .unwrap_or_default();
    (answers, demographics, expectations)
}

async fn response_page(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    wave_id: i64,
    response_id: i64,
    error: Option<String>,
) -> AppResult<ResponsePage> {
    let scope = reader_units(state, principal).await?;
    let lang = context.lang;
    let (wave, q) = wave_and_questionnaire(state, wave_id).await?;
    let r = surveys::response_record(&state.db, wave_id, response_id).await?;
    if !scope.as_ref().is_none_or(|s| s.contains(&r.unit_id)) {
        return Err(AppError::Forbidden);
    }
    let (status, status_class) = status_of(lang, &r);
    let (answers, demographics, expectations) = answer_lines(lang, &q, &r);
    Ok(ResponsePage {
        page: Page::new(context, "surveys.response_title"),
        id: r.id,
        unit: format!("{} — {}", r.unit_code, r.unit_name),
        service: r
            .service_code
            .as_ref()
            .map(|c| format!("{c} — {}", r.service_name.clone().unwrap_or_default()))
            .unwrap_or_else(|| "—".into()),
        channel: channel_title(lang, &surveys::Channel::parse(&r.channel)),
        at: i18n::date_time_seconds(r.submitted_at),
        respondent: r.respondent_id.clone().unwrap_or_else(|| "—".into()),
        weight: i18n::number(lang, r.weight, 2),
        status,
        status_class,
        answers,
        demographics,
        expectations,
        expectations_title: q
            .expectations
            .as_ref()
            .map(|e| e.question.title.clone())
            .unwrap_or_default(),
        comment: r.comment.clone(),
        exclusion: r.excluded_at.map(|at| {
            (
                r.excluded_reason.clone().unwrap_or_default(),
                r.excluded_by.clone().unwrap_or_default(),
                i18n::date_time(at),
            )
        }),
        may_exclude: principal.can(Permission::ManageCampaigns),
        excluded: r.is_excluded(),
        error,
        wave,
    })
}

pub async fn response_detail(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<ResponsePage> {
    reader_units(&state, &principal).await?;
    let [wave_id, response_id] = ids::<2>(&raw)?;
    response_page(&state, &principal, &context, wave_id, response_id, None).await
}

#[derive(Deserialize)]
pub struct ExclusionForm {
    #[serde(default)]
    pub reason: String,
}

/// Excludes the response from the index with the reason typed; without one the page comes
/// back with the message beside the field.
pub async fn exclude_response(
    state: State<AppState>,
    auth: Auth,
    path: Path<Vec<String>>,
    form: Form<ExclusionForm>,
) -> AppResult<Response> {
    set_excluded(state, auth, path, form, true).await
}

/// Counts the response again.
pub async fn restore_response(
    state: State<AppState>,
    auth: Auth,
    path: Path<Vec<String>>,
    form: Form<ExclusionForm>,
) -> AppResult<Response> {
    set_excluded(state, auth, path, form, false).await
}

async fn set_excluded(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<ExclusionForm>,
    exclude: bool,
) -> AppResult<Response> {
    require_exclusion_right(&principal)?;
    let [wave_id, response_id] = ids::<2>(&raw)?;
    let reason = Some(form.reason.as_str());
    match surveys::set_excluded(
        &state.db,
        &principal.actor(),
        wave_id,
        response_id,
        exclude,
        reason,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/phieu-tra-loi/{response_id}?msg={}",
            if exclude {
                "surveys.response_excluded"
            } else {
                "surveys.response_restored"
            }
        ))
        .into_response()),
        Err(error) => {
            let problem = as_problem(error, context.lang)?;
            let page = response_page(
                &state,
                &principal,
                &context,
                wave_id,
                response_id,
                Some(problem),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The microdata of a slice as a streamed download, audited (who exported what).
async fn export(
    state: AppState,
    principal: &Principal,
    lang: Lang,
    raw: &[String],
    query: &[(String, String)],
    format: Format,
) -> AppResult<Response> {
    let scope = reader_units(&state, principal).await?;
    let [wave_id] = ids::<1>(raw)?;
    let (_, questionnaire) = wave_and_questionnaire(&state, wave_id).await?;
    let slice = SliceQuery::parse(query);
    let filter = within(slice.filter(), &scope);
    let options = slice_options(&state, lang, wave_id, &scope, &slice).await?;
    surveys::record_export(
        &state.db,
        &principal.actor(),
        wave_id,
        &slice.describe(lang, format, &options.units),
    )
    .await?;
    let body = micro::export_body(state.db.clone(), questionnaire, wave_id, filter, format);
    Ok(streamed(
        format.content_type(),
        format!("du-lieu-khao-sat-dot-{wave_id}.{}", format.extension()),
        body,
    ))
}

fn streamed(content_type: &'static str, file_name: String, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn export_csv(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    export(state, &principal, context.lang, &raw, &query, Format::Csv).await
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    export(state, &principal, context.lang, &raw, &query, Format::Xlsx).await
}

pub async fn export_json(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Query(query): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    export(state, &principal, context.lang, &raw, &query, Format::Json).await
}

/// The codebook of a wave's questionnaire: every variable of the export with its label and
/// its values' labels.
async fn codebook(
    state: &AppState,
    principal: &Principal,
    raw: &[String],
    format: Format,
) -> AppResult<Response> {
    reader_units(state, principal).await?;
    let [wave_id] = ids::<1>(raw)?;
    let (_, questionnaire) = wave_and_questionnaire(state, wave_id).await?;
    let microdata = Microdata::new(&questionnaire);
    let body = match format {
        Format::Json => serde_json::to_vec_pretty(&microdata.codebook_json())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?,
        _ => microdata.codebook_csv(),
    };
    Ok(crate::downloads::download(
        format.content_type(),
        format!("bo-ma-khao-sat-dot-{wave_id}.{}", format.extension()),
        body,
    ))
}

pub async fn codebook_csv(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    codebook(&state, &principal, &raw, Format::Csv).await
}

pub async fn codebook_json(
    State(state): State<AppState>,
    Auth(principal, _): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    codebook(&state, &principal, &raw, Format::Json).await
}
