//! The start page: the user's roles and the campaigns.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::units;

use crate::auth::Auth;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::Page;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    /// (role, unit name)
    roles: Vec<(String, Option<String>)>,
    campaigns: Vec<CampaignRow>,
}

pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<HomePage> {
    let all_units = units::list(&state.db).await?;
    let roles = principal
        .roles
        .iter()
        .map(|r| {
            let unit = r
                .unit_id
                .and_then(|id| all_units.iter().find(|u| u.id == id))
                .map(|u| u.name.clone());
            (r.role.as_str().to_string(), unit)
        })
        .collect();
    Ok(HomePage {
        page: Page::new(&context, "common.nav_home"),
        roles,
        campaigns: campaigns::list(&state.db).await?,
    })
}
