//! Blank .xlsx templates for every import (docs/formats.md §1, §2, §5 and §8.8): the units
//! list, a criteria framework, and a survey wave's responses with its questionnaire's columns.
//! Each downloads from the import's own page and goes back through that import unchanged.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use chiso_domain::access::Permission;
use chiso_store::surveys;

use crate::auth::Auth;
use crate::downloads::{self, column, column_text};
use crate::error::AppResult;
use crate::extract::{PathId, State};
use crate::i18n::{self, Lang};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/don-vi/mau.xlsx", get(units_template))
        .route("/bo-tieu-chi/mau.xlsx", get(framework_template))
        .route("/khao-sat/dot/{wave}/mau.xlsx", get(responses_template))
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect()
}

/// `units.csv` (docs/formats.md §2): the columns, with the kinds' codes and titles.
pub async fn units_template(Auth(principal, context): Auth) -> AppResult<Response> {
    principal.require(Permission::ManageUnits)?;
    let lang = context.lang;
    let kinds: Vec<String> = chiso_domain::org::OrgKind::ALL
        .iter()
        .map(|kind| {
            let code = kind.as_str();
            format!(
                "{code} ({})",
                i18n::text(lang, &format!("common.kind_{code}"))
            )
        })
        .collect();
    let columns = [
        column(lang, "unit_code", true, "units.help_unit_code"),
        column(lang, "unit_name", true, "units.help_unit_name"),
        column_text(
            "kind",
            false,
            format!(
                "{} {}",
                i18n::text(lang, "units.help_kind"),
                kinds.join("; ")
            ),
        ),
        column(lang, "parent_code", false, "units.help_parent_code"),
        column(lang, "region", false, "units.help_region"),
        column(lang, "valid_from", false, "units.help_dates"),
        column(lang, "valid_to", false, "units.help_dates"),
    ];
    let examples = strings(&[
        &["S21", "Sở Nội vụ", "department", "", "", "", ""],
        &["X31", "Xã Hòa Bình", "commune", "", "", "01/07/2025", ""],
    ]);
    downloads::template(lang, "mau-don-vi.xlsx", &columns, &examples)
}

/// `framework.csv` (docs/formats.md §1 and §8): a small tree of an area, two criteria and a
/// survey leaf, every optional column shown.
pub async fn framework_template(Auth(principal, context): Auth) -> AppResult<Response> {
    principal.require(Permission::ManageFrameworks)?;
    let lang = context.lang;
    let columns = [
        column(lang, "code", true, "frameworks.col_code"),
        column(lang, "title", true, "frameworks.col_title"),
        column(lang, "max_points", true, "frameworks.col_max_points"),
        column(lang, "method", false, "frameworks.col_method"),
        column(lang, "title_en", false, "frameworks.col_title_en"),
        column(lang, "guidance", false, "frameworks.col_guidance"),
        column(
            lang,
            "evidence_required",
            false,
            "frameworks.col_evidence_required",
        ),
        column(lang, "rule", false, "frameworks.col_rule"),
        column(lang, "input_label", false, "frameworks.col_input_label"),
        column(lang, "continues", false, "frameworks.col_continues"),
    ];
    let examples = strings(&[
        &[
            "1",
            "Công tác chỉ đạo, điều hành cải cách hành chính",
            "",
            "self",
            "PAR direction",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "1.1",
            "Ban hành kế hoạch cải cách hành chính năm",
            "1",
            "self",
            "",
            "Ban hành đúng hạn: 1 điểm; chậm: 0,5 điểm",
            "có",
            "levels: 0; 0.5; 1",
            "",
            "",
        ],
        &[
            "1.2",
            "Tỷ lệ văn bản điện tử được ký số",
            "1.5",
            "self",
            "",
            "",
            "có",
            "threshold(signed_share): 90 => 1.5; 70 => 0.75; else => 0",
            "Tỷ lệ văn bản ký số (%)",
            "",
        ],
        &[
            "2",
            "Khảo sát sự hài lòng",
            "",
            "survey",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "2.1",
            "Chỉ số hài lòng của người dân, tổ chức",
            "2",
            "survey",
            "",
            "",
            "",
            "survey(sipas)",
            "",
            "",
        ],
    ]);
    downloads::template(lang, "mau-bo-tieu-chi.xlsx", &columns, &examples)
}

/// `responses.csv` (docs/formats.md §5 and §8.8) for one wave: every column of its
/// questionnaire, the questions named by number and title, and one example row of the wave's
/// first unit.
pub async fn responses_template(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    wave: PathId,
) -> AppResult<Response> {
    principal.require(Permission::ManageCampaigns)?;
    let wave_id = wave.get()?;
    let lang = context.lang;
    let wave = surveys::get_wave(&state.db, wave_id).await?;
    let questionnaire = state.questionnaires.of_wave(&state.db, &wave).await?;
    let units = surveys::wave_units(&state.db, wave_id).await?;
    let mut columns = vec![
        column(lang, "unit_code", true, "surveys.col_unit_code"),
        column(lang, "respondent_id", true, "surveys.col_respondent_id"),
        column(lang, "channel", false, "surveys.col_channel"),
        column(lang, "weight", false, "surveys.col_weight"),
        column(lang, "service", false, "surveys.col_service"),
    ];
    let answers = answer_words(lang, &questionnaire.scale);
    let mut example = vec![
        units
            .first()
            .map(|u| u.unit_code.clone())
            .unwrap_or_else(|| "01".into()),
        String::new(),
        "paper".into(),
        String::new(),
        String::new(),
    ];
    for (at, item) in questionnaire.items.iter().enumerate() {
        let title = i18n::fill(
            lang,
            "surveys.col_item",
            &[
                ("number", &(at + 1).to_string()),
                ("title", &item.title),
                ("answers", &answers),
            ],
        );
        columns.push(column_text(&item.code, true, title));
        example.push(
            questionnaire
                .scale
                .answers
                .last()
                .map(|a| a.code.clone())
                .unwrap_or_default(),
        );
    }
    for question in &questionnaire.demographics {
        columns.push(column_text(&question.code, false, choice_words(question)));
        example.push(
            question
                .options
                .first()
                .map(|o| o.code.clone())
                .unwrap_or_default(),
        );
    }
    if let Some(expectations) = &questionnaire.expectations {
        let words = i18n::fill(
            lang,
            "surveys.col_expectations",
            &[
                ("max", &expectations.max_choices.to_string()),
                ("options", &choice_words(&expectations.question)),
            ],
        );
        columns.push(column_text("expectations", false, words));
        example.push(
            expectations
                .question
                .options
                .first()
                .map(|o| o.code.clone())
                .unwrap_or_default(),
        );
    }
    if let Some(comment) = &questionnaire.comment {
        columns.push(column_text(&comment.code, false, comment.title.clone()));
        example.push(String::new());
    }
    let file = format!("mau-phieu-khao-sat-dot-{wave_id}.xlsx");
    downloads::template(lang, &file, &columns, &[example])
}

/// "1 = Rất không hài lòng; …; 5 = Rất hài lòng; để trống = không trả lời".
fn answer_words(lang: Lang, scale: &chiso_survey::questionnaire::Scale) -> String {
    let mut words: Vec<String> = scale
        .answers
        .iter()
        .map(|a| format!("{} = {}", a.code, a.label))
        .collect();
    words.push(i18n::text(lang, "surveys.col_blank").to_string());
    words.join("; ")
}

/// "Giới tính: 1 = Nam; 2 = Nữ".
fn choice_words(question: &chiso_survey::questionnaire::ChoiceQuestion) -> String {
    let options: Vec<String> = question
        .options
        .iter()
        .map(|o| format!("{} = {}", o.code, o.label))
        .collect();
    format!("{}: {}", question.title, options.join("; "))
}
