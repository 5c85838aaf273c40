//! A unit of a wave: short link, tokens, services and devices.

use super::*;

/// A service of the unit: its link and QR code, N and target, and its figures.
pub struct ServiceView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub transactions: String,
    /// The declared N as typed in the form (blank when none).
    pub transactions_raw: String,
    pub target: String,
    pub responses: String,
    pub below: bool,
    pub index: String,
    pub ci: String,
    pub link: String,
    pub qr: String,
}

pub struct DeviceView {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub wave: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/unit.html")]
pub struct UnitPage {
    page: Page,
    can_manage: bool,
    wave: WaveRow,
    unit: UnitLine,
    short_link: String,
    short_qr: String,
    issued: String,
    used: String,
    services: Vec<ServiceView>,
    devices: Vec<DeviceView>,
    error: PageError,
    /// The service form's entries after a refusal (blank otherwise).
    service_form: ServiceForm,
}

/// The fields of the unit page's forms, as they name them.
const SERVICE_FIELDS: &[&str] = &["code", "name", "transactions"];
const DEVICE_FIELDS: &[&str] = &["name"];
const TOKEN_FIELDS: &[&str] = &["count", "service_id"];

pub(super) async fn wave_unit(
    state: &AppState,
    wave_id: i64,
    unit_id: i64,
) -> AppResult<(WaveRow, WaveUnitRow)> {
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let unit = surveys::wave_units(&state.db, wave_id)
        .await?
        .into_iter()
        .find(|u| u.unit_id == unit_id)
        .ok_or(AppError::NotFound)?;
    Ok((wave, unit))
}

pub(super) async fn unit_page(
    state: &AppState,
    principal: &Principal,
    page: Page,
    wave_id: i64,
    unit_id: i64,
    error: Option<FormError>,
    service_form: ServiceForm,
) -> AppResult<UnitPage> {
    let lang = page.lang;
    let (wave, unit) = wave_unit(state, wave_id, unit_id).await?;
    let short_link = format!("{}/ks/{}", state.config.public_base(), unit.slug);
    let (issued, used) = surveys::token_counts(&state.db, wave_id, unit_id).await?;
    let mut services = Vec::new();
    for service in surveys::services(&state.db, wave_id, Some(unit_id)).await? {
        let result =
            surveys::result_of_slice(&state.db, wave_id, &[unit_id], &Slice::service(service.id))
                .await?;
        let link = format!("{short_link}?dv={}", service.code);
        services.push(ServiceView {
            id: service.id,
            transactions: service
                .transactions
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into()),
            transactions_raw: service
                .transactions
                .map(|n| n.to_string())
                .unwrap_or_default(),
            target: service
                .target_sample
                .map(|n| integer(lang, n.max(0) as u64))
                .unwrap_or_else(|| "—".into()),
            responses: integer(lang, service.responses.max(0) as u64),
            below: service.below_target(),
            index: pct(lang, result.index),
            ci: ci_text(lang, result.ci95),
            qr: qr_svg(&link),
            link,
            code: service.code,
            name: service.name,
        });
    }
    let devices = surveys::devices(&state.db, unit_id)
        .await?
        .into_iter()
        .map(|d: DeviceRow| DeviceView {
            id: d.id,
            name: d.name,
            active: d.active,
            wave: d
                .wave_id
                .map(|w| format!("#{w}"))
                .unwrap_or_else(|| t(lang, "surveys.device_any_wave").to_string()),
            created: i18n::date_time(d.created_at),
            last_used: d
                .last_used_at
                .map(i18n::date_time)
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    Ok(UnitPage {
        can_manage: principal.can(Permission::ManageCampaigns),
        short_qr: qr_svg(&short_link),
        short_link,
        issued: integer(lang, issued.max(0) as u64),
        used: integer(lang, used.max(0) as u64),
        services,
        devices,
        unit: unit_line(lang, &unit),
        wave,
        error: PageError(error),
        service_form,
        page,
    })
}

pub async fn show_unit(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<UnitPage> {
    principal.require(Permission::ViewSetup)?;
    let [wave_id, unit_id] = ids::<2>(&raw)?;
    SurveyScope::of(&state, &principal)
        .await?
        .require(unit_id)?;
    let page = Page::new(&context, "surveys.unit_title");
    unit_page(
        &state,
        &principal,
        page,
        wave_id,
        unit_id,
        None,
        ServiceForm::default(),
    )
    .await
}

/// The unit's page again with a refused entry's problem named (beside its field), as 422;
/// the service form keeps what was typed.
pub(super) async fn unit_refusal(
    state: &AppState,
    principal: &Principal,
    context: &crate::auth::Context,
    (wave_id, unit_id): (i64, i64),
    problem: FormError,
    service_form: ServiceForm,
) -> AppResult<Response> {
    let page = Page::new(context, "surveys.unit_title");
    let mut body = unit_page(
        state,
        principal,
        page,
        wave_id,
        unit_id,
        Some(problem),
        service_form,
    )
    .await?
    .into_response();
    *body.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(body)
}

/// Most tokens issued at once: a printed batch, not a database fill.
pub(super) const MAX_TOKENS: usize = 2_000;

#[derive(Deserialize)]
pub struct TokensForm {
    #[serde(default)]
    count: String,
    /// A service of the unit (its id), or blank for the unit as a whole.
    #[serde(default)]
    service_id: String,
    /// `print` (QR page) or `csv`.
    #[serde(default)]
    format: String,
}

pub struct TokenCard {
    pub link: String,
    pub qr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/tokens.html")]
pub struct TokensPage {
    page: Page,
    wave: WaveRow,
    unit: UnitLine,
    cards: Vec<TokenCard>,
    csv_data_uri: String,
}

pub(super) fn tokens_csv(unit_code: &str, links: &[(String, String)]) -> AppResult<Vec<u8>> {
    let mut writer = CsvWriter::new("\u{feff}".as_bytes().to_vec(), LineEnd::CrLf);
    writer
        .row(["unit_code", "token", "link"])
        .map_err(anyhow::Error::from)?;
    for (token, link) in links {
        writer
            .row([unit_code, token, link])
            .map_err(anyhow::Error::from)?;
    }
    Ok(writer.into_inner().map_err(anyhow::Error::from)?)
}

/// Issues one-time tokens: shown once (only their hashes are stored) as a printable page of QR
/// codes with the link under each, or as a CSV of the links.
pub async fn issue_tokens(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<TokensForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id] = ids::<2>(&raw)?;
    let lang = context.lang;
    let (wave, unit) = wave_unit(&state, wave_id, unit_id).await?;
    let ids = (wave_id, unit_id);
    let count = match token_count(lang, &form.count) {
        Ok(count) => count,
        Err(problem) => {
            return unit_refusal(
                &state,
                &principal,
                &context,
                ids,
                problem,
                Default::default(),
            )
            .await;
        }
    };
    let service_id = match form.service_id.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    let issued = surveys::issue_service_tokens(
        &state.db,
        &principal.actor(),
        wave_id,
        unit_id,
        service_id,
        count,
    )
    .await;
    let tokens = match issued {
        Ok(tokens) => tokens,
        Err(error) => {
            let problem = FormError::of_store(error, lang, "tokens", TOKEN_FIELDS)?;
            return unit_refusal(
                &state,
                &principal,
                &context,
                ids,
                problem,
                Default::default(),
            )
            .await;
        }
    };
    let base = state.config.public_base();
    let links: Vec<(String, String)> = tokens
        .into_iter()
        .map(|token| {
            let link = format!("{base}/ks/t/{token}");
            (token, link)
        })
        .collect();
    let csv = tokens_csv(&unit.unit_code, &links)?;
    if form.format == "csv" {
        let name = format!("ma-khao-sat-dot-{wave_id}-{}.csv", unit.unit_code);
        return Ok(tokens_download(name, csv));
    }
    let page = TokensPage {
        page: Page::new(&context, "surveys.tokens_title"),
        csv_data_uri: format!(
            "data:text/csv;charset=utf-8;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&csv)
        ),
        cards: links
            .into_iter()
            .map(|(_, link)| TokenCard {
                qr: qr_svg(&link),
                link,
            })
            .collect(),
        unit: unit_line(lang, &unit),
        wave,
    };
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    Ok(response)
}

/// How many tokens to issue: 1 to [`MAX_TOKENS`], or the refusal beside the field.
fn token_count(lang: Lang, typed: &str) -> Result<usize, FormError> {
    match typed.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_TOKENS).contains(&n) => Ok(n),
        _ => {
            let problem = format!(
                "{} (1–{})",
                t(lang, "surveys.error_token_count"),
                integer(lang, MAX_TOKENS as u64)
            );
            Err(FormError::at("tokens", "count", problem))
        }
    }
}

/// The tokens' CSV as a download that no cache keeps (the tokens are shown once).
fn tokens_download(name: String, csv: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    this_wave: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys/device.html")]
pub struct DeviceKeyPage {
    page: Page,
    wave: WaveRow,
    unit: UnitLine,
    name: String,
    key: String,
}

/// A service as typed in the unit page's form.
#[derive(Deserialize, Default, Clone)]
pub struct ServiceForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    transactions: String,
}

/// Adds a service to the unit (or changes the name and N of the one with that code); a
/// refused entry comes back on the unit's page with the problem named (422).
pub async fn set_service(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<ServiceForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id] = ids::<2>(&raw)?;
    let lang = context.lang;
    wave_unit(&state, wave_id, unit_id).await?;
    let ids = (wave_id, unit_id);
    let transactions = match form.transactions.trim().replace(['.', ' '], "") {
        text if text.is_empty() => None,
        text => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                let problem = FormError::at(
                    "service",
                    "transactions",
                    format!(
                        "{} {}",
                        t(lang, "surveys.error_transactions"),
                        form.transactions.trim()
                    ),
                );
                return unit_refusal(&state, &principal, &context, ids, problem, form).await;
            }
        },
    };
    let fields = ServiceFields {
        code: form.code.clone(),
        name: form.name.clone(),
        transactions,
    };
    match surveys::set_service(&state.db, &principal.actor(), wave_id, unit_id, &fields).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.service_saved#services"
        ))
        .into_response()),
        Err(error) => {
            let problem = FormError::of_store(error, lang, "service", SERVICE_FIELDS)?;
            unit_refusal(&state, &principal, &context, ids, problem, form).await
        }
    }
}

/// Removes a service that no response or token names yet.
pub async fn remove_service(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id, service_id] = ids::<3>(&raw)?;
    let service = surveys::get_service(&state.db, service_id).await?;
    if service.wave_id != wave_id || service.unit_id != unit_id {
        return Err(AppError::NotFound);
    }
    match surveys::remove_service(&state.db, &principal.actor(), service_id).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.service_removed#services"
        ))
        .into_response()),
        Err(error) => {
            let problem = FormError::of_store(error, context.lang, "service", &[])?;
            let ids = (wave_id, unit_id);
            unit_refusal(
                &state,
                &principal,
                &context,
                ids,
                problem,
                Default::default(),
            )
            .await
        }
    }
}

/// Creates a kiosk's device key, shown once; a refused name comes back beside its field.
pub async fn create_device(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<DeviceForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id] = ids::<2>(&raw)?;
    let lang = context.lang;
    let (wave, unit) = wave_unit(&state, wave_id, unit_id).await?;
    let name = form.name.trim().to_string();
    let bound = form.this_wave.is_some().then_some(wave_id);
    let (_, key) =
        match surveys::create_device(&state.db, &principal.actor(), unit_id, bound, &name).await {
            Ok(created) => created,
            Err(error) => {
                let problem = FormError::of_store(error, lang, "device", DEVICE_FIELDS)?;
                let ids = (wave_id, unit_id);
                return unit_refusal(
                    &state,
                    &principal,
                    &context,
                    ids,
                    problem,
                    Default::default(),
                )
                .await;
            }
        };
    let mut response = DeviceKeyPage {
        page: Page::new(&context, "surveys.device_title"),
        unit: unit_line(lang, &unit),
        wave,
        name,
        key,
    }
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("a header value"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_device_active(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Path(raw): Path<Vec<String>>,
    Form(form): Form<ActiveForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let [wave_id, unit_id, device_id] = ids::<3>(&raw)?;
    // The device must belong to the unit in the path.
    if !surveys::devices(&state.db, unit_id)
        .await?
        .iter()
        .any(|d| d.id == device_id)
    {
        return Err(AppError::NotFound);
    }
    let active = form.active == "1";
    surveys::set_device_active(&state.db, &principal.actor(), device_id, active).await?;
    Ok(Redirect::to(&format!(
        "/khao-sat/dot/{wave_id}/don-vi/{unit_id}?msg=surveys.device_{}",
        if active { "activated" } else { "deactivated" }
    ))
    .into_response())
}
