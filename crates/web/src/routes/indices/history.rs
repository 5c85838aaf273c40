//! The imports of published index results and their history (docs/method.md §5.8): per index
//! and year every version with its source, who imported it and when (Vietnam time), the
//! replaced ones marked "đã thay thế"; and any version's values, replaced or in force.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;
use chiso_domain::access::Permission;
use chiso_store::indices::{self, VersionRecord, YearVersion};

use super::import::index_name;
use crate::app::indices::agencies::is_numbered;
use crate::app::indices::import::catalogue;
use crate::auth::Auth;
use crate::describe::indices::{figure, unit_words};
use crate::error::{AppError, AppResult};
use crate::extract::{PathId, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::views::Page;

/// The list of imports.
pub const IMPORTS: &str = "/chi-so-quoc-gia/nhap-lieu";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chi-so-quoc-gia/nhap-lieu", get(list))
        .route("/chi-so-quoc-gia/nhap-lieu/{version}", get(version))
}

/// One version of a year, as the pages show it.
pub struct VersionView {
    year_id: i64,
    import_id: i64,
    current: bool,
    file_name: String,
    source: String,
    who: String,
    when: String,
    units: i64,
    structure: String,
}

pub struct YearHistory {
    year: i64,
    versions: Vec<VersionView>,
}

pub struct IndexHistory {
    index_id: String,
    title: String,
    years: Vec<YearHistory>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/imports.html")]
pub struct ImportsPage {
    page: Page,
    indices: Vec<IndexHistory>,
}

fn structure_title(lang: Lang, id: &str) -> String {
    catalogue().get(id).map_or_else(
        || id.to_string(),
        |s| {
            if lang == Lang::En {
                s.title_en.clone()
            } else {
                s.title.clone()
            }
        },
    )
}

/// The source of a version in one line: publisher; document; date; address.
fn source_line(version: &YearVersion) -> String {
    [
        version.publisher.clone(),
        version.document.clone(),
        version.published_on.map(i18n::date),
        version.url.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ")
}

fn version_view(lang: Lang, record: &VersionRecord) -> VersionView {
    let v = &record.version;
    // The bundled figures (docs/method.md §8) are the system's import; their source note is
    // the seed's own, said here in the page's language.
    let by_system = record.actor_full_name.is_none() && v.actor_name.starts_with("system:");
    let who = match &record.actor_full_name {
        Some(name) => name.clone(),
        None if by_system => i18n::text(lang, "indices_admin.system").to_string(),
        None => v.actor_name.clone(),
    };
    let source = if by_system {
        i18n::text(lang, "indices_admin.bundled_source").to_string()
    } else {
        source_line(v)
    };
    VersionView {
        year_id: v.year_id,
        import_id: v.import_id,
        current: v.current,
        file_name: v.file_name.clone(),
        source,
        who,
        when: i18n::date_time(v.imported_at),
        units: record.units,
        structure: structure_title(lang, &v.structure_id),
    }
}

/// Every import, by index and year, the newest version first.
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
) -> AppResult<ImportsPage> {
    principal.require(Permission::ManageIndices)?;
    let lang = context.lang;
    let records = indices::all_versions(&state.db).await?;
    let mut by_index: BTreeMap<String, BTreeMap<i64, Vec<VersionView>>> = BTreeMap::new();
    for record in &records {
        by_index
            .entry(record.version.index_id.clone())
            .or_default()
            .entry(record.version.year)
            .or_default()
            .push(version_view(lang, record));
    }
    let indices = by_index
        .into_iter()
        .map(|(index_id, years)| IndexHistory {
            title: index_name(lang, &index_id),
            years: years
                .into_iter()
                .rev()
                .map(|(year, versions)| YearHistory { year, versions })
                .collect(),
            index_id,
        })
        .collect();
    Ok(ImportsPage {
        page: Page::new(&context, "indices_admin.imports_title"),
        indices,
    })
}

/// One unit's values of a version.
pub struct ValueRow {
    unit: String,
    total: String,
    rank: String,
    cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "indices/version.html")]
pub struct VersionPage {
    page: Page,
    index_title: String,
    year: i64,
    version: VersionView,
    replaced_by: Option<i64>,
    /// The items of the year's structure that have values: the header (the item's number, or
    /// its title when it has none) and the title.
    columns: Vec<(String, String)>,
    rows: Vec<ValueRow>,
}

/// A version's values: every unit with its total, rank and each item, replaced or in force.
pub async fn version(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<VersionPage> {
    principal.require(Permission::ManageIndices)?;
    let lang = context.lang;
    let year_id = id.get()?;
    let stored = indices::stored_year(&state.db, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let record = indices::all_versions(&state.db)
        .await?
        .into_iter()
        .find(|r| r.version.year_id == year_id)
        .ok_or(AppError::NotFound)?;
    let replaced_by = match stored.version.replaced_by {
        Some(later) => indices::stored_year(&state.db, later)
            .await?
            .map(|y| y.version.import_id),
        None => None,
    };
    let (columns, rows) = value_table(lang, &stored);
    Ok(VersionPage {
        page: Page::new(&context, "indices_admin.version_title"),
        index_title: index_name(lang, &stored.version.index_id),
        year: stored.version.year,
        version: version_view(lang, &record),
        replaced_by,
        columns,
        rows,
    })
}

/// The columns (items of the structure with a value, in its order) and one row per unit, by
/// rank then code.
fn value_table(lang: Lang, stored: &indices::StoredYear) -> (Vec<(String, String)>, Vec<ValueRow>) {
    let structure = catalogue().get(&stored.version.structure_id);
    let mut codes: Vec<(String, String)> = Vec::new();
    if let Some(structure) = structure {
        for item in structure.items() {
            for d in std::iter::once(item).chain(&item.sub_dimensions) {
                let title = if lang == Lang::En {
                    &d.title_en
                } else {
                    &d.title
                };
                codes.push((d.code.clone(), title.clone()));
            }
        }
    }
    codes.retain(|(code, _)| stored.values.iter().any(|v| &v.measure == code));
    let mut units: Vec<(&str, Option<i64>)> = stored
        .values
        .iter()
        .filter(|v| v.measure == "total")
        .map(|v| (v.unit_code.as_str(), v.rank))
        .collect();
    units.sort_by_key(|(code, rank)| (rank.is_none(), *rank, code.to_string()));
    let values: HashMap<(&str, &str), Option<f64>> = stored
        .values
        .iter()
        .map(|v| ((v.unit_code.as_str(), v.measure.as_str()), v.value))
        .collect();
    let rows = units
        .into_iter()
        .map(|(code, rank)| {
            let value = |measure: &str| {
                values
                    .get(&(code, measure))
                    .copied()
                    .flatten()
                    .map_or_else(|| "—".to_string(), |v| figure(lang, v))
            };
            ValueRow {
                unit: unit_words(code),
                total: value("total"),
                rank: rank.map_or_else(|| "—".to_string(), |r| r.to_string()),
                cells: codes.iter().map(|(c, _)| value(c)).collect(),
            }
        })
        .collect();
    let columns = codes
        .into_iter()
        .map(|(code, title)| {
            let header = if is_numbered(&code) {
                code
            } else {
                title.clone()
            };
            (header, title)
        })
        .collect();
    (columns, rows)
}
