//! The users screens (`/nguoi-dung`), for the administrator only (`ManageUsers`, checked in
//! every handler): the accounts with their roles and units, creating an account with an
//! initial password, assigning and removing roles (a unit for unit roles, areas for
//! appraisers), deactivation and reactivation, and password resets. Every change goes through
//! the store, which writes the audit row in the same transaction.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chiso_domain::access::{Permission, Role};
use chiso_domain::org::OrgKind;
use chiso_store::StoreError;
use chiso_store::units::{self, OrgUnit};
use chiso_store::users::{self, NewUser, RoleAssignment, User};
use chrono::Utc;
use rand::Rng;
use serde::Deserialize;

use crate::auth::{self, Auth, Context, Principal};
use crate::describe::Describe;
use crate::error::AppResult;
use crate::extract::{Form, PathId, State};
use crate::forms::{Choice, field_error};
use crate::i18n::{self, Lang};
use crate::paths;
use crate::state::AppState;
use crate::views::Page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nguoi-dung", get(list).post(create))
        .route("/nguoi-dung/moi", get(create_form))
        .route("/nguoi-dung/{id}", get(show))
        .route("/nguoi-dung/{id}/ho-so", post(update_profile))
        .route("/nguoi-dung/{id}/vai-tro", post(add_role))
        .route(
            "/nguoi-dung/{id}/vai-tro/{assignment}/xoa",
            post(remove_role),
        )
        .route("/nguoi-dung/{id}/vo-hieu-hoa", post(deactivate))
        .route("/nguoi-dung/{id}/kich-hoat", post(reactivate))
        .route("/nguoi-dung/{id}/dat-lai-mat-khau", post(reset_password))
}

/// The shortest password an administrator may set (the same rule as a user's own change).
const MIN_PASSWORD_CHARS: usize = 10;

/// A temporary password: 12 random characters from an alphabet without look-alikes (0/O,
/// 1/l/I), grouped by four so it can be read out over the phone.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let mut out = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    out
}

/// Area codes typed as "1,2,3" (commas, semicolons or spaces): dotted codes of the framework.
fn parse_areas(text: &str) -> Result<Vec<String>, String> {
    let mut areas: Vec<String> = Vec::new();
    for code in text
        .split([',', ';', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let valid = code
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        if !valid {
            return Err(code.to_string());
        }
        if !areas.iter().any(|a| a == code) {
            areas.push(code.to_string());
        }
    }
    Ok(areas)
}

/// Units of one kind, an `<optgroup>` of the unit picker.
#[derive(Clone, Debug)]
pub struct UnitGroup {
    pub label: String,
    pub units: Vec<Choice>,
}

/// How a role assignment is shown.
#[derive(Clone, Debug)]
pub struct RoleView {
    pub id: i64,
    pub role: String,
    pub unit: Option<String>,
    pub unit_id: Option<i64>,
    pub areas: String,
}

impl RoleView {
    fn new(assignment: &RoleAssignment, all_units: &[OrgUnit]) -> RoleView {
        RoleView {
            id: assignment.id,
            role: assignment.role.as_str().to_string(),
            unit: assignment.unit_id.map(|id| {
                all_units
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| format!("{} ({})", u.name, u.code))
                    .unwrap_or_else(|| format!("#{id}"))
            }),
            unit_id: assignment.unit_id,
            areas: assignment.areas().join(", "),
        }
    }
}

/// A row of the list.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub user: User,
    pub roles: Vec<RoleView>,
    pub locked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "users/list.html")]
pub struct ListPage {
    page: Page,
    users: Vec<UserRow>,
}

/// Every account with its roles and units, active or not.
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    principal.require(Permission::ManageUsers)?;
    let all_units = units::list(&state.db).await?;
    let roles = users::all_roles(&state.db).await?;
    let now = Utc::now();
    let users = users::list(&state.db)
        .await?
        .into_iter()
        .map(|user| UserRow {
            roles: roles
                .iter()
                .filter(|r| r.user_id == user.id)
                .map(|r| RoleView::new(r, &all_units))
                .collect(),
            locked: user.locked_until.is_some_and(|until| until > now),
            user,
        })
        .collect();
    Ok(ListPage {
        page: Page::new(&context, "users.title"),
        users,
    })
}

/// The account form as typed; every field optional, so a wrong form gets its errors back.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "users/form.html")]
pub struct FormPage {
    page: Page,
    form: NewUserForm,
    errors: Vec<String>,
    min_chars: usize,
}

fn form_page(context: &Context, form: NewUserForm, errors: Vec<String>) -> FormPage {
    FormPage {
        page: Page::new(context, "users.create_title"),
        form,
        errors,
        min_chars: MIN_PASSWORD_CHARS,
    }
}

pub async fn create_form(Auth(principal, context): Auth) -> AppResult<FormPage> {
    principal.require(Permission::ManageUsers)?;
    Ok(form_page(&context, NewUserForm::default(), Vec::new()))
}

/// The e-mail address, when one was typed and it looks like one.
fn parse_email(lang: Lang, text: &str, errors: &mut Vec<String>) -> Option<String> {
    let email = text.trim();
    if email.is_empty() {
        return None;
    }
    let valid = email.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if !valid {
        errors.push(field_error(
            lang,
            "users.email",
            i18n::text(lang, "users.err_email"),
        ));
    }
    Some(email.to_string())
}

/// Creates an account that must change its password at first login. A blank password is
/// generated and shown once, on the page this answers with.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let lang = context.lang;
    let mut errors = Vec::new();
    let username = form.username.trim().to_lowercase();
    if username.is_empty() {
        errors.push(field_error(
            lang,
            "users.username",
            i18n::text(lang, "users.err_required"),
        ));
    } else if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        errors.push(field_error(
            lang,
            "users.username",
            i18n::text(lang, "users.err_username"),
        ));
    }
    if form.full_name.trim().is_empty() {
        errors.push(field_error(
            lang,
            "users.full_name",
            i18n::text(lang, "users.err_required"),
        ));
    }
    let email = parse_email(lang, &form.email, &mut errors);
    let generated = form.password.is_empty();
    if !generated && form.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(field_error(
            lang,
            "users.initial_password",
            i18n::text(lang, "users.err_password_short"),
        ));
    }
    if !errors.is_empty() {
        let mut form = form;
        form.password.clear();
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&context, form, errors),
        )
            .into_response());
    }
    let password = if generated {
        generate_password()
    } else {
        form.password.clone()
    };
    let hash = auth::hash_password(password.clone()).await?;
    let new_user = NewUser {
        username,
        full_name: form.full_name.trim().to_string(),
        email,
        password_hash: hash,
        must_change_password: true,
    };
    match users::create(&state.db, &principal.actor(), &new_user).await {
        Ok(id) => {
            let mut page = show_page(&state, &principal, &context, id).await?;
            page.notice = Some(i18n::text(lang, "users.created"));
            page.temporary_password = generated.then_some(password);
            Ok(with_secret(page))
        }
        Err(StoreError::Setup(refusal)) => {
            let mut form = form;
            form.password.clear();
            let errors = vec![refusal.describe(lang)];
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&context, form, errors),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The add-role form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
    pub unit_id: String,
    pub areas: String,
}

/// The profile form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub full_name: String,
    pub email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "users/show.html")]
pub struct ShowPage {
    page: Page,
    user: User,
    locked: bool,
    roles: Vec<RoleView>,
    is_self: bool,
    role_choices: Vec<Choice>,
    unit_groups: Vec<UnitGroup>,
    role_form: RoleForm,
    profile: ProfileForm,
    errors: Vec<String>,
    notice: Option<&'static str>,
    /// Shown once, right after a creation or a reset; never stored in clear.
    temporary_password: Option<String>,
}

/// Current units grouped by kind, for the unit picker.
fn unit_groups(lang: Lang, all: &[OrgUnit], selected: &str) -> Vec<UnitGroup> {
    let today = Utc::now().date_naive();
    let order = [
        OrgKind::Province,
        OrgKind::Department,
        OrgKind::District,
        OrgKind::Commune,
        OrgKind::Ministry,
        OrgKind::Nation,
    ];
    order
        .iter()
        .map(|kind| {
            let mut units: Vec<&OrgUnit> = all
                .iter()
                .filter(|u| u.kind == *kind && u.is_current_on(today))
                .collect();
            units.sort_by(|a, b| a.code.cmp(&b.code));
            UnitGroup {
                label: i18n::text(lang, &format!("common.kind_{}", kind.as_str())).to_string(),
                units: units
                    .into_iter()
                    .map(|u| Choice {
                        value: u.id.to_string(),
                        label: format!("{} — {}", u.code, u.name),
                        selected: u.id.to_string() == selected,
                    })
                    .collect(),
            }
        })
        .filter(|g| !g.units.is_empty())
        .collect()
}

async fn show_page(
    state: &AppState,
    principal: &Principal,
    context: &Context,
    id: i64,
) -> AppResult<ShowPage> {
    let user = users::get(&state.db, id).await?;
    let all_units = units::list(&state.db).await?;
    let roles = users::roles(&state.db, id)
        .await?
        .iter()
        .map(|r| RoleView::new(r, &all_units))
        .collect();
    let lang = context.lang;
    let role_form = RoleForm::default();
    Ok(ShowPage {
        page: Page::new(context, "users.title"),
        locked: user.locked_until.is_some_and(|until| until > Utc::now()),
        is_self: principal.user.id == id,
        roles,
        role_choices: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_string(),
                label: i18n::text(lang, &format!("common.role_{}", r.as_str())).to_string(),
                selected: false,
            })
            .collect(),
        unit_groups: unit_groups(lang, &all_units, ""),
        role_form,
        profile: ProfileForm {
            full_name: user.full_name.clone(),
            email: user.email.clone().unwrap_or_default(),
        },
        user,
        errors: Vec::new(),
        notice: None,
        temporary_password: None,
    })
}

/// The user's page answering a refused change: the errors on top, status 422.
fn refused(mut page: ShowPage, errors: Vec<String>) -> Response {
    page.errors = errors;
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// An account's page: profile, roles, and the actions on it.
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ShowPage> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    show_page(&state, &principal, &context, id).await
}

/// A page that shows a temporary password: no cache keeps it.
fn with_secret(page: ShowPage) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], page).into_response()
}

fn back_to(id: i64, message: &str) -> Response {
    Redirect::to(&paths::with_msg(&paths::user(id), message)).into_response()
}

#[tracing::instrument(skip_all, fields(user_id = ?id))]
pub async fn update_profile(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    let lang = context.lang;
    let mut page = show_page(&state, &principal, &context, id).await?;
    let mut errors = Vec::new();
    if form.full_name.trim().is_empty() {
        errors.push(field_error(
            lang,
            "users.full_name",
            i18n::text(lang, "users.err_required"),
        ));
    }
    let email = parse_email(lang, &form.email, &mut errors);
    if !errors.is_empty() {
        page.profile = form;
        return Ok(refused(page, errors));
    }
    users::update_profile(
        &state.db,
        &principal.actor(),
        id,
        &form.full_name,
        email.as_deref(),
    )
    .await?;
    Ok(back_to(id, "common.saved"))
}

/// Grants a role: a unit is required for the unit roles, areas are for appraisers only.
#[tracing::instrument(skip_all, fields(user_id = ?id))]
pub async fn add_role(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    let lang = context.lang;
    let mut page = show_page(&state, &principal, &context, id).await?;
    let mut errors = Vec::new();
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        errors.push(field_error(
            lang,
            "users.role",
            i18n::text(lang, "users.err_role"),
        ));
    }
    let all_units = units::list(&state.db).await?;
    let unit_id = match form.unit_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(unit) if all_units.iter().any(|u| u.id == unit) => Some(unit),
            _ => {
                errors.push(field_error(
                    lang,
                    "users.unit",
                    i18n::text(lang, "users.err_unit"),
                ));
                None
            }
        },
    };
    if let Some(role) = role
        && role.is_unit_scoped()
        && unit_id.is_none()
        && form.unit_id.trim().is_empty()
    {
        errors.push(field_error(
            lang,
            "users.unit",
            &i18n::text(lang, "users.err_unit_required")
                .replace("{role}", i18n::text(lang, &format!("common.role_{role}"))),
        ));
    }
    let areas = match parse_areas(&form.areas) {
        Ok(areas) => areas,
        Err(code) => {
            errors.push(field_error(
                lang,
                "users.areas",
                &i18n::text(lang, "users.err_area_code").replace("{code}", &code),
            ));
            Vec::new()
        }
    };
    if !areas.is_empty() && role.is_some_and(|r| r != Role::Appraiser) {
        errors.push(field_error(
            lang,
            "users.areas",
            i18n::text(lang, "users.err_areas_role"),
        ));
    }
    if let Some(role) = role
        && page
            .roles
            .iter()
            .any(|r| r.role == role.as_str() && r.unit_id == unit_id)
    {
        errors.push(field_error(
            lang,
            "users.role",
            i18n::text(lang, "users.err_role_exists"),
        ));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        page.unit_groups = unit_groups(lang, &all_units, &form.unit_id);
        for choice in &mut page.role_choices {
            choice.selected = choice.value == form.role;
        }
        page.role_form = form;
        return Ok(refused(page, errors));
    };
    match users::add_role(&state.db, &principal.actor(), id, role, unit_id, &areas).await {
        Ok(_) => Ok(back_to(id, "users.role_added")),
        Err(StoreError::Setup(refusal)) => Ok(refused(page, vec![refusal.describe(lang)])),
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(ids = ?ids))]
pub async fn remove_role(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    ids: PathId<(i64, i64)>,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let (id, assignment) = ids.get()?;
    let page = show_page(&state, &principal, &context, id).await?;
    // An administrator does not take away their own last way back in.
    let own_admin = page.is_self
        && page
            .roles
            .iter()
            .any(|r| r.id == assignment && r.role == Role::Admin.as_str());
    if own_admin {
        let message = i18n::text(context.lang, "users.err_own_admin").to_string();
        return Ok(refused(page, vec![message]));
    }
    users::remove_role(&state.db, &principal.actor(), id, assignment).await?;
    Ok(back_to(id, "users.role_removed"))
}

#[tracing::instrument(skip_all, fields(user_id = ?id))]
pub async fn deactivate(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    let page = show_page(&state, &principal, &context, id).await?;
    if page.is_self {
        let message = i18n::text(context.lang, "users.err_deactivate_self").to_string();
        return Ok(refused(page, vec![message]));
    }
    if page.user.active {
        users::set_active(&state.db, &principal.actor(), id, false).await?;
    }
    Ok(back_to(id, "users.deactivated"))
}

#[tracing::instrument(skip_all, fields(user_id = ?id))]
pub async fn reactivate(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    let user = users::get(&state.db, id).await?;
    if !user.active {
        users::set_active(&state.db, &principal.actor(), id, true).await?;
    }
    Ok(back_to(id, "users.activated"))
}

/// Sets a generated temporary password that must be changed at the next login, ends the
/// user's sessions, and shows the password once on the page this answers with.
#[tracing::instrument(skip_all, fields(user_id = ?id))]
pub async fn reset_password(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageUsers)?;
    let id = id.get()?;
    users::get(&state.db, id).await?;
    let password = generate_password();
    let hash = auth::hash_password(password.clone()).await?;
    // Resetting one's own password keeps the current session (it then asks for a new one).
    let keep = (principal.user.id == id).then_some(principal.session_hash.as_str());
    users::set_password(&state.db, &principal.actor(), id, &hash, true, keep).await?;
    let mut page = show_page(&state, &principal, &context, id).await?;
    page.notice = Some(i18n::text(context.lang, "users.password_reset"));
    page.temporary_password = Some(password);
    Ok(with_secret(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 14);
        assert!(a.chars().filter(|c| *c != '-').count() >= MIN_PASSWORD_CHARS);
        assert_ne!(a, b);
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn areas_are_dotted_codes() {
        assert_eq!(parse_areas("1, 2;3 3").unwrap(), ["1", "2", "3"]);
        assert_eq!(parse_areas("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_areas("1.2,A").unwrap(), ["1.2", "A"]);
        assert_eq!(parse_areas("1,x-y").unwrap_err(), "x-y");
        assert_eq!(parse_areas("1..2").unwrap_err(), "1..2");
    }
}
