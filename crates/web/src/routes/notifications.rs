//! A user's notifications: the list, the bell in the header (loaded after the page, so no
//! other request pays for it), opening one and marking them read.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::Auth;
use crate::describe::notice;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, PathId, State};
use crate::i18n;
use crate::state::AppState;
use crate::views::Page;
use chiso_store::notifications;

/// Notices shown on the list.
const LIST_SIZE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/thong-bao", get(list))
        .route("/thong-bao/chuong", get(bell))
        .route("/thong-bao/{id}", get(open))
        .route("/thong-bao/da-doc", post(mark_all_read))
}

/// One line of the list.
pub struct NoticeLine {
    pub id: i64,
    pub text: String,
    pub when: String,
    pub unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/list.html")]
pub struct ListPage {
    page: Page,
    lines: Vec<NoticeLine>,
    unread: i64,
}

async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ListPage> {
    let user = principal.user.id;
    let notices = notifications::recent(&state.db, user, LIST_SIZE).await?;
    let lines = notices
        .iter()
        .map(|n| NoticeLine {
            id: n.id,
            text: notice::sentence(context.lang, n),
            when: i18n::date_time(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    let unread = notifications::unread_count(&state.db, user).await?;
    Ok(ListPage {
        page: Page::new(&context, "notifications.title"),
        lines,
        unread,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/bell.html")]
pub struct Bell {
    label: String,
    unread: i64,
}

/// The header's bell with the unread count (an htmx fragment).
async fn bell(State(state): State<AppState>, Auth(principal, context): Auth) -> AppResult<Bell> {
    let unread = notifications::unread_count(&state.db, principal.user.id).await?;
    let label = if unread > 0 {
        i18n::fill(
            context.lang,
            "notifications.bell_unread",
            &[("count", &unread)],
        )
    } else {
        i18n::text(context.lang, "notifications.bell").to_string()
    };
    Ok(Bell { label, unread })
}

/// Opens a notice: marks it read and goes where it leads.
async fn open(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    id: PathId,
) -> AppResult<Redirect> {
    let id = id.get()?;
    let user = principal.user.id;
    let Some(found) = notifications::get(&state.db, user, id).await? else {
        return Err(AppError::NotFound);
    };
    notifications::mark_read(&state.db, user, Some(id), state.clock.now()).await?;
    // Links are the site's own paths, written by the server.
    let target = found
        .link
        .filter(|l| l.starts_with('/') && !l.starts_with("//"))
        .unwrap_or_else(|| "/thong-bao".into());
    Ok(Redirect::to(&target))
}

/// The form carries only its CSRF token.
#[derive(Deserialize)]
pub struct MarkForm {}

async fn mark_all_read(
    State(state): State<AppState>,
    Auth(principal, _context): Auth,
    Form(_form): Form<MarkForm>,
) -> AppResult<Redirect> {
    notifications::mark_read(&state.db, principal.user.id, None, state.clock.now()).await?;
    Ok(Redirect::to("/thong-bao"))
}
