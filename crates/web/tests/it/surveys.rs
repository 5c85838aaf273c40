//! The survey staff screens on both backends: waves with target samples, tokens and QR codes,
//! device keys, paper entry, bulk import with progress and row-level rejections, results that
//! equal the survey engine's, filling a campaign's survey leaves, and who may do what.

use crate::common;

use std::time::Duration;

use chiso_domain::Points;
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_store::assessments as sheets;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::surveys::{self, WaveFields};
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, frameworks};
use chiso_survey::report::{ReportOptions, build_report};
use chiso_survey::{bundled, read_csv};
use chrono::Days;
use common::{TestApp, apps, location, pairs, sipas_fields};

/// The contract's example responses (tests/fixtures/survey).
fn example_csv() -> Vec<u8> {
    include_bytes!("../../../../tests/fixtures/survey/responses.csv").to_vec()
}

fn actor() -> Actor {
    Actor::system("test")
}

/// Units 44, 46 and 48 of the contract's example (provinces), created once per app.
async fn example_units(db: &Db) -> Vec<i64> {
    let mut ids = Vec::new();
    for code in ["44", "46", "48"] {
        let id = match units::find_current_by_code(db, code, sheets::today_in_vietnam())
            .await
            .unwrap()
        {
            Some(u) => u.id,
            None => units::create(
                db,
                &actor(),
                &UnitFields {
                    code: code.into(),
                    name: format!("Tỉnh {code}"),
                    kind: OrgKind::Province,
                    parent_id: None,
                    region: None,
                    valid_from: None,
                    valid_to: None,
                },
            )
            .await
            .unwrap(),
        };
        ids.push(id);
    }
    ids
}

/// An open SIPAS wave over the example's units.
pub(crate) async fn example_wave(db: &Db, title: &str, year: i64) -> (i64, Vec<i64>) {
    let questionnaire = surveys::register_bundled(db, &actor(), "sipas-2017")
        .await
        .unwrap();
    let unit_ids = example_units(db).await;
    let wave = surveys::create_wave(db, &actor(), &WaveFields::new(questionnaire, title, year))
        .await
        .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = unit_ids.iter().map(|&u| (u, Some(1_000))).collect();
    surveys::set_units(db, &actor(), wave, &pairs)
        .await
        .unwrap();
    surveys::open_wave(db, &actor(), wave).await.unwrap();
    (wave, unit_ids)
}

pub(crate) async fn upload(app: &TestApp, wave: i64, skip: bool) -> String {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(example_csv())
            .file_name("responses.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    if skip {
        form = form.text("skip_bad_rows", "1");
    }
    let response = app
        .post_multipart(&format!("/khao-sat/dot/{wave}/nhap-tep"), form)
        .await;
    assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
    let job = location(&response);
    assert!(job.starts_with("/khao-sat/nhap/"), "{job}");
    job
}

/// Polls the progress fragment until the import is finished; returns the last fragment.
pub(crate) async fn wait_for(app: &TestApp, job: &str) -> String {
    for _ in 0..200 {
        let (status, body) = app.get_text(&format!("{job}/tien-do")).await;
        assert_eq!(status, 200);
        if body.contains("data-finished=\"true\"") {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

/// The message shown beside a form's field (`<p … id="{form}-{field}-error">`), if any.
pub(crate) fn field_error(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}-error\"");
    let at = html.find(&marker)?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find("</p>")?;
    Some(
        html[start..end]
            .replace("&#x27;", "'")
            .replace("&quot;", "\""),
    )
}

/// Fails on an English word or a raw code on a Vietnamese page (the crawler's check).
pub(crate) fn assert_vietnamese(path: &str, html: &str) {
    let found = crate::vietnamese_pages::findings(path, html);
    assert!(found.is_empty(), "{found:?}");
}

pub(crate) async fn wave_responses(db: &Db, wave: i64) -> i64 {
    surveys::wave_units(db, wave)
        .await
        .unwrap()
        .iter()
        .map(|u| u.responses)
        .sum()
}

#[tokio::test]
async fn wave_lifecycle_targets_tokens_qr_codes_and_device_keys() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (status, body) = app.get_text("/khao-sat").await;
        assert_eq!(status, 200);
        assert!(body.contains("Khảo sát"));
        let response = app
            .post_form("/khao-sat/phieu", &[("bundled", "sipas-2017")])
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let questionnaire = surveys::latest_questionnaire(&app.db, "sipas-2017")
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();
        // A form error names the field, and keeps what was typed.
        let response = app
            .post_form(
                "/khao-sat/dot",
                &[
                    ("questionnaire_id", questionnaire.as_str()),
                    ("title", "Quý 1"),
                    ("period_year", "2026"),
                    ("margin_e", "nhiều"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(response.text().await.unwrap().contains("Sai số e"));
        let response = app
            .post_form(
                "/khao-sat/dot",
                &[
                    ("questionnaire_id", questionnaire.as_str()),
                    ("title", "Khảo sát SIPAS quý 1/2026"),
                    ("period_year", "2026"),
                    ("period_quarter", "1"),
                    ("opens_on", ""),
                    ("closes_on", ""),
                    ("margin_e", "0,05"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let wave_path = location(&response).split('?').next().unwrap().to_string();
        let wave: i64 = wave_path.rsplit('/').next().unwrap().parse().unwrap();
        // Opening without units is refused, in Vietnamese.
        let response = app.post_form(&format!("{wave_path}/mo"), &[]).await;
        assert_eq!(response.status().as_u16(), 422);

        // Units with N: targets n = N/(1+N·e²).
        let response = app
            .post_form(
                &format!("{wave_path}/don-vi"),
                &[("lines", "S01;1000\nKHONGCO;5")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Dòng 2") && body.contains("KHONGCO"),
            "{body}"
        );
        assert!(surveys::wave_units(&app.db, wave).await.unwrap().is_empty());
        let response = app
            .post_form(
                &format!("{wave_path}/don-vi"),
                &[("lines", "S01;1000\nS02;10.000\nS03")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let wave_units = surveys::wave_units(&app.db, wave).await.unwrap();
        let targets: Vec<Option<i64>> = wave_units.iter().map(|u| u.target_sample).collect();
        assert_eq!(targets, [Some(286), Some(385), None]);
        let (_, body) = app.get_text(&wave_path).await;
        assert!(body.contains("286") && body.contains("10.000"), "{body}");
        let response = app.post_form(&format!("{wave_path}/mo"), &[]).await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            surveys::get_wave(&app.db, wave).await.unwrap().state,
            surveys::WaveState::Open
        );

        // Tokens: N distinct working links on a printable page of QR codes, shown once.
        let unit = wave_units[0].unit_id;
        let unit_path = format!("{wave_path}/don-vi/{unit}");
        let response = app
            .post_form(
                &format!("{unit_path}/ma"),
                &[("count", "5"), ("format", "print")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let body = response.text().await.unwrap();
        let sheet = &body[body.find("id=\"qr-sheet\"").unwrap()..];
        assert_eq!(sheet.matches("<svg").count(), 5);
        let mut tokens: Vec<String> = sheet
            .split("/ks/t/")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect()
            })
            .collect();
        tokens.sort();
        tokens.dedup();
        assert_eq!(tokens.len(), 5);
        let info = surveys::find_token(&app.db, &tokens[0])
            .await
            .unwrap()
            .expect("the printed token works");
        assert_eq!((info.wave_id, info.unit_id), (wave, unit));
        assert!(info.used_at.is_none());
        assert!(body.contains("data:text/csv;charset=utf-8;base64,"));
        // The CSV of links.
        let response = app
            .post_form(
                &format!("{unit_path}/ma"),
                &[("count", "3"), ("format", "csv")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = response.text().await.unwrap();
        assert_eq!(csv.lines().count(), 4);
        assert!(csv.lines().nth(1).unwrap().contains("/ks/t/"));
        assert_eq!(
            surveys::token_counts(&app.db, wave, unit).await.unwrap(),
            (8, 0)
        );
        let response = app
            .post_form(&format!("{unit_path}/ma"), &[("count", "0")])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        // The unit's page: the short link and its QR code.
        let (status, body) = app.get_text(&unit_path).await;
        assert_eq!(status, 200);
        assert!(body.contains(&format!("/ks/{}", wave_units[0].slug)));
        assert!(body.contains("<svg"));

        // Device keys: shown once, stored hashed, turned off.
        let response = app
            .post_form(
                &format!("{unit_path}/thiet-bi"),
                &[("name", "Máy quầy 1"), ("this_wave", "1")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let body = response.text().await.unwrap();
        let start = body.find("id=\"device-key\">").unwrap() + "id=\"device-key\">".len();
        let key = &body[start..start + body[start..].find('<').unwrap()];
        let device = surveys::device_by_key(&app.db, key)
            .await
            .unwrap()
            .expect("the key works");
        assert_eq!(device.wave_id, Some(wave));
        let (_, body) = app.get_text(&unit_path).await;
        assert!(body.contains("Máy quầy 1") && !body.contains(key));
        let response = app
            .post_form(
                &format!("{unit_path}/thiet-bi/{}/trang-thai", device.id),
                &[("active", "0")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(
            surveys::device_by_key(&app.db, key)
                .await
                .unwrap()
                .is_none()
        );
        let response = app
            .post_form(&format!("{unit_path}/thiet-bi"), &[("name", " ")])
            .await;
        assert_eq!(response.status().as_u16(), 422);

        // Closing.
        let response = app.post_form(&format!("{wave_path}/dong"), &[]).await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            surveys::get_wave(&app.db, wave).await.unwrap().state,
            surveys::WaveState::Closed
        );
        let (_, body) = app.get_text("/khao-sat").await;
        assert!(body.contains("Khảo sát SIPAS quý 1/2026") && body.contains("Đã đóng"));
    }
}

#[tokio::test]
async fn bulk_import_is_all_or_nothing_unless_bad_rows_are_skipped_and_paper_forms_count() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (wave, unit_ids) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        // Without "skip bad rows": nothing stored, every bad row listed with its number.
        let job = upload(&app, wave, false).await;
        let (status, page) = app.get_text(&job).await;
        assert_eq!(status, 200);
        assert!(page.contains("import-progress"));
        let fragment = wait_for(&app, &job).await;
        assert!(fragment.contains("data-percent=\"100\""), "{fragment}");
        assert!(fragment.contains("id=\"import-refused\""), "{fragment}");
        assert!(fragment.matches("<tr data-row=").count() >= 1);
        assert_eq!(wave_responses(&app.db, wave).await, 0);
        // The reasons are in Vietnamese, each with its row number.
        let questionnaire = bundled("sipas-2017").unwrap();
        let tally = read_csv(&questionnaire, "responses.csv", &example_csv()[..]).unwrap();
        assert_eq!(
            fragment.matches("<tr data-row=").count(),
            tally.rejected.len()
        );
        for rejection in &tally.rejected {
            assert!(
                fragment.contains(&format!("<tr data-row=\"{}\">", rejection.row)),
                "row {} missing",
                rejection.row
            );
        }
        assert!(
            !fragment.contains(" is not "),
            "an English reason is left: {fragment}"
        );
        // An answer off the scale names the question by its number and the row, in
        // Vietnamese (row 40 of the example has 6 for c05).
        let row40 = fragment
            .split("<tr data-row=\"40\">")
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_default();
        assert!(row40.contains("40"), "{row40}");
        assert!(
            row40.contains("Câu 5: giá trị 6 không hợp lệ (giá trị hợp lệ: 1-5)"),
            "{row40}"
        );
        assert!(
            !fragment.contains("c05") && !fragment.contains("or blank"),
            "{fragment}"
        );
        // With "skip bad rows": the 39 good rows are stored.
        let job = upload(&app, wave, true).await;
        let fragment = wait_for(&app, &job).await;
        assert!(fragment.contains("data-percent=\"100\""));
        assert!(fragment.contains("id=\"import-done\""), "{fragment}");
        assert!(fragment.contains("39"));
        assert_eq!(wave_responses(&app.db, wave).await, 39);
        assert_eq!(tally.accepted(), 39);
        let (_, body) = app.get_text(&format!("/khao-sat/dot/{wave}")).await;
        assert!(body.contains("responses.csv"));

        // A typed paper form is counted (channel "paper").
        let (status, body) = app
            .get_text(&format!("/khao-sat/dot/{wave}/phieu-giay"))
            .await;
        assert_eq!(status, 200);
        assert!(body.contains("name=\"a0\""));
        let unit = unit_ids[0].to_string();
        let mut fields: Vec<(String, String)> = vec![("unit_id".into(), unit.clone())];
        for i in 0..questionnaire.items.len() {
            fields.push((format!("a{i}"), "5".into()));
        }
        fields.push(("a3".into(), String::new()));
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = app
            .post_form(&format!("/khao-sat/dot/{wave}/phieu-giay"), &borrowed)
            .await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(location(&response).contains("msg=surveys.paper_saved"));
        assert_eq!(wave_responses(&app.db, wave).await, 40);
        assert!(
            surveys::channels(&app.db, wave)
                .await
                .unwrap()
                .contains(&surveys::Channel::Paper)
        );
        // A bad answer is refused and names the item.
        let response = app
            .post_form(
                &format!("/khao-sat/dot/{wave}/phieu-giay"),
                &[("unit_id", unit.as_str()), ("a0", "9")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Câu 1: giá trị 9 không hợp lệ (giá trị hợp lệ: 1-5)"),
            "{page}"
        );
        assert!(
            !page.contains("c01") && !page.contains("or blank"),
            "{page}"
        );
        assert_eq!(wave_responses(&app.db, wave).await, 40);
    }
}

#[tokio::test]
async fn results_equal_the_survey_engine_and_export_to_xlsx() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (wave, unit_ids) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        let job = upload(&app, wave, true).await;
        wait_for(&app, &job).await;
        let questionnaire = bundled("sipas-2017").unwrap();
        let tally = read_csv(&questionnaire, "responses.csv", &example_csv()[..]).unwrap();
        let report = build_report(&questionnaire, &tally, &ReportOptions::default());
        let unit44 = report.units.iter().find(|u| u.unit_code == "44").unwrap();
        let vi = |v: f64| format!("{:.2}", v).replace('.', ",");
        let index = vi(unit44.result.index.unwrap());
        let f4 = vi(unit44
            .result
            .factors
            .iter()
            .find(|f| f.code == "F4")
            .unwrap()
            .index
            .unwrap());
        assert_eq!(index, "69,41");
        assert_eq!(f4, "71,15");

        app.login("xemketqua").await;
        let (status, body) = app.get_text(&format!("/khao-sat/dot/{wave}/ket-qua")).await;
        assert_eq!(status, 200);
        let row = &body[body.find("<tr data-unit=\"44\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(
            row.contains(&format!("<td class=\"num index\">{index}</td>")),
            "{row}"
        );
        assert!(row.contains(&format!(">{f4}</td>")), "{row}");
        // Targets of 286 for N = 1 000: every unit is below target and says so.
        assert!(row.contains("below-target") || body.contains("class=\"below-target\""));
        let all = vi(report.all.result.index.unwrap());
        assert!(
            body.contains(&format!("id=\"all-index\">{all}")),
            "all {all}"
        );
        assert!(body.contains("id=\"ranking-chart\"") && body.contains("class=\"whisker\""));
        // One unit in detail: factors with intervals, items.
        let (_, body) = app
            .get_text(&format!(
                "/khao-sat/dot/{wave}/ket-qua?don_vi={}",
                unit_ids[0]
            ))
            .await;
        let detail = &body[body.find("id=\"detail\"").unwrap()..];
        assert!(detail.contains(&format!("id=\"detail-index\">{index}")));
        let f4_row = &detail[detail.find("data-factor=\"F4\"").unwrap()..];
        assert!(f4_row[..f4_row.find("</tr>").unwrap()].contains(&f4));
        let c02 = vi(unit44
            .result
            .items
            .iter()
            .find(|i| i.code == "c02")
            .unwrap()
            .satisfied_rate
            .unwrap());
        let item_row = &detail[detail.find("data-item=\"c02\"").unwrap()..];
        assert!(item_row[..item_row.find("</tr>").unwrap()].contains(&c02));
        assert!(detail.contains("id=\"factor-chart\""));
        // By channel.
        let online = report.channels.iter().find(|c| c.channel == "online");
        let (_, body) = app
            .get_text(&format!("/khao-sat/dot/{wave}/ket-qua?kenh=online"))
            .await;
        assert!(
            body.contains("<strong>Trực tuyến</strong>"),
            "the channel by its title"
        );
        if let Some(online) = online {
            assert!(body.contains(&format!(
                "id=\"all-index\">{}",
                vi(online.result.index.unwrap())
            )));
        }
        // A ticked group of units.
        let (_, body) = app
            .get_text(&format!(
                "/khao-sat/dot/{wave}/ket-qua?chon={}&chon={}",
                unit_ids[0], unit_ids[1]
            ))
            .await;
        assert!(body.contains("id=\"group-results\""));
        // A later wave compares with this one and draws the trend.
        let (later, _) = example_wave(&app.db, "Khảo sát 2026", 2026).await;
        app.login("thuongtruc").await;
        let job = upload(&app, later, true).await;
        wait_for(&app, &job).await;
        let (_, body) = app
            .get_text(&format!("/khao-sat/dot/{later}/ket-qua"))
            .await;
        assert!(body.contains("id=\"trend\"") && body.contains("<polyline"));
        assert!(body.contains(&format!("/khao-sat/dot/{wave}/ket-qua\">")));
        // The export.
        let response = app.get(&format!("/khao-sat/dot/{wave}/ket-qua.xlsx")).await;
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.bytes().await.unwrap();
        use calamine::Reader;
        let workbook: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        assert!(workbook.sheet_names().len() >= 2);
    }
}

#[tokio::test]
async fn survey_leaves_are_filled_from_a_wave_with_refusals_shown() {
    for mut app in apps().await {
        let db = app.db.clone();
        let (wave, unit_ids) = example_wave(&db, "Khảo sát 2025", 2025).await;
        app.login("thuongtruc").await;
        let job = upload(&app, wave, true).await;
        wait_for(&app, &job).await;
        let framework = chiso_refdata::framework("par-province-2020").unwrap();
        let framework_id = frameworks::insert(&db, &actor(), &framework, None)
            .await
            .unwrap();
        let stored = frameworks::load(&db, framework_id).await.unwrap();
        let today = sheets::today_in_vietnam();
        let campaign = campaigns::create(
            &db,
            &actor(),
            &CampaignFields {
                year: 2025,
                title: "Chỉ số CCHC cấp tỉnh 2025".into(),
                appraisal_rounds: 1,
                self_assessment_deadline: Some(today + Days::new(30)),
                explanation_deadline: Some(today + Days::new(60)),
                round_deadlines: vec![None],
                bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
            },
        )
        .await
        .unwrap();
        campaigns::set_framework(&db, &actor(), campaign, "province", Some(framework_id))
            .await
            .unwrap();
        campaigns::set_units(&db, &actor(), campaign, "province", &unit_ids)
            .await
            .unwrap();
        let base = format!("/khao-sat/chi-so-cchc/{campaign}");
        let (status, body) = app.get_text(&base).await;
        assert_eq!(status, 200);
        assert!(body.contains("id=\"no-mapping\""));
        // Refused without a mapping.
        let response = app.post_form(&format!("{base}/cap-nhat"), &[]).await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Chưa có tiêu chí khảo sát")
        );
        // A self-assessed leaf cannot be mapped.
        let self_leaf = stored.node_ids["1.1.1"].to_string();
        let response = app
            .post_form(
                &format!("{base}/anh-xa"),
                &[
                    ("node_id", self_leaf.as_str()),
                    ("wave_id", wave.to_string().as_str()),
                    ("source", "index"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let sipas_leaf = stored.node_ids["8.1"];
        let response = app
            .post_form(
                &format!("{base}/anh-xa"),
                &[
                    ("node_id", sipas_leaf.to_string().as_str()),
                    ("wave_id", wave.to_string().as_str()),
                    ("source", "index"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        // Refused while the campaign is a draft, in Vietnamese.
        let response = app.post_form(&format!("{base}/cap-nhat"), &[]).await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Đợt đánh giá đang ở trạng thái Bản nháp")
        );
        campaigns::transition(&db, &actor(), campaign, CampaignState::Open, None)
            .await
            .unwrap();
        sheets::ensure_sheets(&db, &actor(), campaign)
            .await
            .unwrap();
        let response = app.post_form(&format!("{base}/cap-nhat"), &[]).await;
        assert_eq!(response.status().as_u16(), 303);
        let target = location(&response);
        assert!(target.contains("msg=surveys.refreshed"));
        let (_, body) = app.get_text(&target).await;
        assert!(body.contains("id=\"refresh-report\""));
        // Unit 44's leaf 8.1 holds index × max / 100.
        let result = surveys::result(&db, wave, &[unit_ids[0]], None)
            .await
            .unwrap();
        let sheet = sheets::find_sheet(&db, campaign, unit_ids[0])
            .await
            .unwrap()
            .unwrap();
        let score = sheets::leaf_scores(&db, sheet.id)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.node_id == sipas_leaf)
            .unwrap();
        let max = framework
            .node(framework.find("8.1").unwrap())
            .max_points
            .to_f64();
        assert_eq!(
            score.points(),
            Points::from_f64_rounded(result.index.unwrap() * max / 100.0)
        );
        let refreshes = audit::list(
            &db,
            &AuditFilter {
                entity_type: Some("campaign".into()),
                entity_id: Some(campaign),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "refresh_survey_leaves")
        .count();
        assert_eq!(refreshes, 1);
        // Finalized results are not rewritten.
        campaigns::transition(&db, &actor(), campaign, CampaignState::Appraisal, None)
            .await
            .unwrap();
        campaigns::transition(&db, &actor(), campaign, CampaignState::Finalized, None)
            .await
            .unwrap();
        let response = app.post_form(&format!("{base}/cap-nhat"), &[]).await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Đợt đánh giá đang ở trạng thái Đã chốt kết quả"),
            "{body}"
        );
        assert!(!body.contains("finalized"), "{body}");
        // Nor are the mappings of a finalized campaign: the state is named in words.
        let response = app
            .post_form(
                &format!("{base}/anh-xa"),
                &[
                    ("node_id", sipas_leaf.to_string().as_str()),
                    ("wave_id", wave.to_string().as_str()),
                    ("source", "index"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(
            body.contains("điểm các tiêu chí khảo sát đã chốt"),
            "{body}"
        );
        assert!(
            !body.contains("finalized") && !body.contains("survey leaves are final"),
            "{body}"
        );
        // The campaign's page links here.
        let (_, body) = app.get_text(&format!("/dot-danh-gia/{campaign}")).await;
        assert!(body.contains(&base), "no link from the campaign page");
    }
}

#[tokio::test]
async fn viewers_read_only_unit_roles_cannot_write_anonymous_logs_in() {
    for mut app in apps().await {
        let (wave, unit_ids) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        let unit = unit_ids[0];
        let writes = [
            "/khao-sat/phieu".to_string(),
            "/khao-sat/dot".to_string(),
            format!("/khao-sat/dot/{wave}/don-vi"),
            format!("/khao-sat/dot/{wave}/dong"),
            format!("/khao-sat/dot/{wave}/don-vi/{unit}/ma"),
            format!("/khao-sat/dot/{wave}/don-vi/{unit}/thiet-bi"),
            format!("/khao-sat/dot/{wave}/don-vi/{unit}/dich-vu"),
            format!("/khao-sat/dot/{wave}/phieu-giay"),
            format!("/khao-sat/dot/{wave}/nhap-tep"),
        ];
        for user in ["xemketqua", "nhaplieu", "lanhdao", "thamdinh"] {
            app.login(user).await;
            // Unit roles read only their own units' setup: these provinces are not theirs.
            let unit_role = matches!(user, "nhaplieu" | "lanhdao");
            let (status, _) = app.get_text(&format!("/khao-sat/dot/{wave}")).await;
            assert_eq!(status, if unit_role { 403 } else { 200 }, "{user}");
            for path in [
                "/khao-sat".to_string(),
                format!("/khao-sat/dot/{wave}/ket-qua"),
            ] {
                let (status, body) = app.get_text(&path).await;
                assert_eq!(status, 200, "{user} {path}");
                assert!(
                    !body.contains("id=\"create-wave\"") && !body.contains("id=\"start-import\"")
                );
            }
            for path in &writes {
                let response = app.post_form(path, &[("count", "5"), ("name", "x")]).await;
                assert_eq!(response.status().as_u16(), 403, "{user} {path}");
            }
            let (status, _) = app
                .get_text(&format!("/khao-sat/dot/{wave}/phieu-giay"))
                .await;
            assert_eq!(status, 403, "{user}");
        }
        assert_eq!(
            surveys::token_counts(&app.db, wave, unit).await.unwrap(),
            (0, 0)
        );
        app.reset_client().await;
        for path in [
            "/khao-sat".to_string(),
            format!("/khao-sat/dot/{wave}/ket-qua"),
        ] {
            let response = app.get(&path).await;
            assert_eq!(response.status().as_u16(), 303);
            assert!(location(&response).starts_with("/dang-nhap"));
        }
        let response = app.post_form(&writes[4], &[("count", "5")]).await;
        assert!(
            response.status().as_u16() == 303 && location(&response).starts_with("/dang-nhap")
                || response.status().as_u16() == 403
        );
    }
}

/// The example as an .xlsx workbook: numbers as numbers, text as text, like a spreadsheet.
fn example_xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let text = String::from_utf8(example_csv()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (r, record) in reader.records().enumerate() {
        for (c, cell) in record.unwrap().iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(number) if r > 0 => sheet.write_number(r as u32, c as u16, number),
                _ => sheet.write_string(r as u32, c as u16, cell),
            }
            .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_xlsx_file_imports_like_its_csv() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (wave, _) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(example_xlsx())
                    .file_name("responses.xlsx")
                    .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                    .unwrap(),
            )
            .text("skip_bad_rows", "1");
        let response = app
            .post_multipart(&format!("/khao-sat/dot/{wave}/nhap-tep"), form)
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let fragment = wait_for(&app, &location(&response)).await;
        assert!(fragment.contains("id=\"import-done\""), "{fragment}");
        // As many as the survey engine accepts from the same workbook (a short row is padded
        // by the sheet, so it is not a column-count error there).
        let engine = chiso_survey::read_xlsx(
            &bundled("sipas-2017").unwrap(),
            "responses.xlsx",
            &example_xlsx(),
        )
        .unwrap();
        assert_eq!(
            wave_responses(&app.db, wave).await as u64,
            engine.accepted()
        );
        assert!(engine.accepted() >= 39);
        // A file of another kind is refused at once, in Vietnamese.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("responses.txt"),
        );
        let response = app
            .post_multipart(&format!("/khao-sat/dot/{wave}/nhap-tep"), form)
            .await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(response.text().await.unwrap().contains(".csv hoặc .xlsx"));
    }
}

#[tokio::test]
async fn services_get_their_own_links_tokens_and_results() {
    use chiso_store::surveys as survey_services;
    for mut app in apps().await {
        let (wave, unit_ids) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        let unit = unit_ids[0];
        app.login("thuongtruc").await;
        let unit_path = format!("/khao-sat/dot/{wave}/don-vi/{unit}");
        // A faulty entry comes back on the unit's page, in Vietnamese, naming the service.
        let response = app
            .post_form(
                &format!("{unit_path}/dich-vu"),
                &[
                    ("code", "GP XD"),
                    ("name", "Cấp phép"),
                    ("transactions", ""),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422, "{:?}", app.backend);
        let body = response.text().await.unwrap();
        // Beside the code field, in Vietnamese, with what was typed kept.
        let beside = field_error(&body, "service-code").expect("an error beside the code");
        assert!(
            beside.starts_with("Mã dịch vụ «GP XD» chỉ được gồm tối đa 32"),
            "{beside}"
        );
        assert!(body.contains("value=\"GP XD\""), "{body}");
        assert!(!body.contains("id=\"form-error\""), "{body}");
        assert_vietnamese(&unit_path, &body);
        let response = app
            .post_form(
                &format!("{unit_path}/dich-vu"),
                &[
                    ("code", "GPXD"),
                    ("name", "Cấp phép"),
                    ("transactions", "-4"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(
            field_error(&body, "service-transactions").is_some_and(|e| e.contains("-4")),
            "{body}"
        );
        // Saved with N = 1.000 (Vietnamese thousands), target n computed.
        let response = app
            .post_form(
                &format!("{unit_path}/dich-vu"),
                &[
                    ("code", "gpxd"),
                    ("name", "Cấp giấy phép xây dựng"),
                    ("transactions", "1.000"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let services = survey_services::services(&app.db, wave, Some(unit))
            .await
            .unwrap();
        assert_eq!(services.len(), 1);
        let service = &services[0];
        assert_eq!(
            (
                service.code.as_str(),
                service.transactions,
                service.target_sample
            ),
            ("GPXD", Some(1_000), Some(286))
        );
        let (status, body) = app.get_text(&unit_path).await;
        assert_eq!(status, 200);
        let slug = surveys::wave_units(&app.db, wave)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.unit_id == unit)
            .unwrap()
            .slug;
        assert!(
            body.contains("data-service=\"GPXD\"") && body.contains(&format!("/ks/{slug}?dv=GPXD")),
            "{body}"
        );
        // Tokens issued for the service.
        let response = app
            .post_form(
                &format!("{unit_path}/ma"),
                &[
                    ("count", "2"),
                    ("format", "csv"),
                    ("service_id", &service.id.to_string()),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let csv = response.text().await.unwrap();
        let token = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .to_string();

        // A citizen answers through the service's link: the form names the service.
        app.reset_client().await;
        let (status, page) = app.get_text(&format!("/ks/{slug}?dv=gpxd")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Cấp giấy phép xây dựng") && page.contains("?dv=GPXD"));
        let (status, _) = app.get_text(&format!("/ks/{slug}?dv=KHONGCO")).await;
        assert_eq!(status, 404);
        let app_ref = &app;
        let answered = |value: &str, path: String| {
            let fields = sipas_fields(value);
            async move {
                app_ref
                    .post_form(&path, &pairs(&fields))
                    .await
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(
            answered("5", format!("/ks/{slug}?dv=GPXD")).await,
            303,
            "{:?}",
            app.backend
        );
        // The token link answers about the service too; the plain link about the unit.
        let (_, page) = app.get_text(&format!("/ks/t/{token}")).await;
        assert!(page.contains("Cấp giấy phép xây dựng"));
        assert_eq!(answered("1", format!("/ks/t/{token}")).await, 303);
        // (Other answers than the token's: the same answers from the same address would be
        // set aside as a look-alike.)
        assert_eq!(answered("3", format!("/ks/{slug}")).await, 303);

        // A kiosk names the service by code; an unknown one is refused with the field.
        let (_, key) = surveys::create_device(&app.db, &actor(), unit, None, "Kiosk")
            .await
            .unwrap();
        let send = |body: serde_json::Value| {
            app.request(reqwest::Method::POST, "/api/v1/responses")
                .header("authorization", format!("Bearer {key}"))
                .json(&body)
                .send()
        };
        let response = send(serde_json::json!({"service": "gpxd", "answers": {"c01": 5}}))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let response = send(serde_json::json!({"service": "XYZ", "answers": {"c01": 5}}))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["field"], "service");

        let service = survey_services::get_service(&app.db, service.id)
            .await
            .unwrap();
        assert_eq!(service.responses, 3, "{:?}", app.backend);
        assert!(service.below_target());
        let unit_result = surveys::result(&app.db, wave, &[unit], None).await.unwrap();
        let before = unit_result.responses;

        // The results page has a row for the service, its figures from its own slice.
        app.login("xemketqua").await;
        let (status, body) = app.get_text(&format!("/khao-sat/dot/{wave}/ket-qua")).await;
        assert_eq!(status, 200);
        let unit_code = surveys::wave_units(&app.db, wave)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.unit_id == unit)
            .unwrap()
            .unit_code;
        let row_start = body
            .find(&format!("data-service=\"{unit_code}/GPXD\""))
            .expect("a row for the service");
        let row = &body[row_start..row_start + body[row_start..].find("</tr>").unwrap()];
        assert!(row.contains("Cấp giấy phép xây dựng"), "{row}");
        // 3 responses about the service; the unit counts them with the others.
        assert!(row.contains("<td class=\"num\">3</td>"), "{row}");
        assert_eq!(before, 4);
        // A service that answers name cannot be removed: the unit's page says why.
        app.login("thuongtruc").await;
        let response = app
            .post_form(&format!("{unit_path}/dich-vu/{}/xoa", service.id), &[])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("đã có phiếu trả lời")
        );
    }
}

/// Before a wave's results are published, a unit editor sees their own unit's setup and
/// results and nobody else's: not another unit's link, services, kiosks or rows. Viewers see
/// every unit; once the wave is closed (and fills no unpublished campaign) everyone does.
#[tokio::test]
async fn unit_roles_see_only_their_own_units_until_results_are_published() {
    for mut app in apps().await {
        let db = app.db.clone();
        let all = units::list(&db).await.unwrap();
        let justice = all.iter().find(|u| u.name == "Sở Tư pháp").unwrap();
        let finance = all.iter().find(|u| u.name == "Sở Tài chính").unwrap();
        let questionnaire = surveys::register_bundled(&db, &actor(), "sipas-2017")
            .await
            .unwrap();
        let wave = surveys::create_wave(
            &db,
            &actor(),
            &WaveFields::new(questionnaire, "Khảo sát phạm vi", 2026),
        )
        .await
        .unwrap();
        surveys::set_units(
            &db,
            &actor(),
            wave,
            &[(justice.id, Some(100)), (finance.id, Some(100))],
        )
        .await
        .unwrap();
        surveys::open_wave(&db, &actor(), wave).await.unwrap();
        let response = surveys::Response::new(surveys::Channel::Paper, vec![4; 23]);
        for unit in [justice.id, finance.id] {
            surveys::submit(
                &db,
                wave,
                unit,
                &response,
                surveys::Identity::Respondent(None),
            )
            .await
            .unwrap()
            .unwrap();
        }
        let wave_units = surveys::wave_units(&db, wave).await.unwrap();
        let slug_of = |unit: i64| {
            wave_units
                .iter()
                .find(|u| u.unit_id == unit)
                .unwrap()
                .slug
                .clone()
        };
        let (justice_slug, finance_slug) = (slug_of(justice.id), slug_of(finance.id));

        app.login("nhaplieu").await;
        let (status, body) = app.get_text(&format!("/khao-sat/dot/{wave}")).await;
        assert_eq!(status, 200, "{:?}", app.backend);
        assert!(body.contains(&justice_slug) && !body.contains(&finance_slug));
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/don-vi/{}", finance.id))
            .await;
        assert_eq!(status, 403);
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/don-vi/{}", justice.id))
            .await;
        assert_eq!(status, 200);
        let results = format!(
            "/khao-sat/dot/{wave}/ket-qua?chon={}&don_vi={}",
            finance.id, finance.id
        );
        let (status, body) = app.get_text(&results).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Sở Tư pháp") && !body.contains("Sở Tài chính"),
            "{:?}",
            app.backend
        );
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/ket-qua.xlsx"))
            .await;
        assert_eq!(status, 200);

        app.login("xemketqua").await;
        let (_, body) = app.get_text(&results).await;
        assert!(body.contains("Sở Tài chính"), "viewers read every unit");

        surveys::close_wave(&db, &actor(), wave).await.unwrap();
        app.login("nhaplieu").await;
        let (_, body) = app.get_text(&results).await;
        assert!(
            body.contains("Sở Tài chính"),
            "published results are everyone's"
        );
        let (status, _) = app
            .get_text(&format!("/khao-sat/dot/{wave}/don-vi/{}", finance.id))
            .await;
        assert_eq!(status, 403, "setup stays the unit's own");
    }
}

#[tokio::test]
async fn refused_wave_transitions_are_worded_in_vietnamese() {
    for mut app in apps().await {
        let questionnaire = surveys::register_bundled(&app.db, &actor(), "sipas-2017")
            .await
            .unwrap();
        let wave = surveys::create_wave(
            &app.db,
            &actor(),
            &WaveFields::new(questionnaire, "Đợt trống", 2025),
        )
        .await
        .unwrap();
        app.login("thuongtruc").await;
        // Opening a wave without units.
        let response = app
            .post_form(&format!("/khao-sat/dot/{wave}/mo"), &[])
            .await;
        assert_eq!(response.status().as_u16(), 422, "{:?}", app.backend);
        let body = response.text().await.unwrap();
        assert!(body.contains("chưa có đơn vị nào"), "{body}");
        assert!(
            !body.contains("has no units") && !body.contains("the wave"),
            "{body}"
        );
        // Closing a draft: the states are named as the interface names them.
        let response = app
            .post_form(&format!("/khao-sat/dot/{wave}/dong"), &[])
            .await;
        assert_eq!(response.status().as_u16(), 422, "{:?}", app.backend);
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Bản nháp") && body.contains("Đã đóng"),
            "{body}"
        );
        assert!(!body.contains("cannot become"), "{body}");
        assert_eq!(
            surveys::get_wave(&app.db, wave).await.unwrap().state,
            surveys::WaveState::Draft
        );
    }
}

/// Paper forms typed from the keyboard: one row of digits per form, through the same checks
/// as the question-by-question form, refusals naming "Câu N" (docs/formats.md §8.8).
#[tokio::test]
async fn paper_forms_are_typed_as_one_row_of_digits() {
    for mut app in apps().await {
        app.login("thuongtruc").await;
        let (wave, unit_ids) = example_wave(&app.db, "Phiếu giấy 2025", 2025).await;
        let path = format!("/khao-sat/dot/{wave}/phieu-giay");
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(body.contains("name=\"digits\""), "{body}");
        assert!(body.contains("Câu 1 ") && !body.contains("<code>c01</code>"));
        let unit = unit_ids[0].to_string();
        // 23 questions: c01–c22 and overall; 0, a space and - are blanks.
        let digits = "5545 -44433322211100054";
        assert_eq!(digits.chars().count(), 23);
        let response = app
            .post_form(&path, &[("unit_id", unit.as_str()), ("digits", digits)])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{:?}", app.backend);
        assert_eq!(wave_responses(&app.db, wave).await, 1);
        let stored = surveys::get_response(&app.db, 1).await.unwrap();
        assert_eq!(stored.wave_id, wave);
        assert_eq!(stored.channel, chiso_survey::Channel::Paper);
        assert_eq!(
            stored.answers,
            [
                5, 5, 4, 5, 0, 0, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 0, 0, 0, 5, 4
            ]
        );
        // A digit off the scale names its question; nothing is stored.
        let response = app
            .post_form(
                &path,
                &[
                    ("unit_id", unit.as_str()),
                    ("digits", "555555955555555555555555"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Dòng nhập nhanh có 24 ký tự, phiếu có 23 câu"),
            "{page}"
        );
        let response = app
            .post_form(
                &path,
                &[
                    ("unit_id", unit.as_str()),
                    ("digits", "55555595555555555555555"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Câu 7: giá trị 9 không hợp lệ (giá trị hợp lệ: 1-5)"),
            "{page}"
        );
        // The typed row stays on the page to be corrected.
        assert!(page.contains("value=\"55555595555555555555555\""), "{page}");
        // Only blanks: at least one answer is needed, as on the radio form.
        let response = app
            .post_form(
                &path,
                &[
                    ("unit_id", unit.as_str()),
                    ("digits", "00000000000000000000000"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Phiếu chưa có câu trả lời nào.")
        );
        assert_eq!(wave_responses(&app.db, wave).await, 1);
    }
}

/// The store's typed survey refusals come back beside the field they name, in Vietnamese
/// (no English word, dates dd/mm/yyyy, decimal commas), and in English after switching.
#[tokio::test]
async fn survey_refusals_are_shown_beside_their_field_in_vietnamese() {
    for mut app in apps().await {
        let (wave, unit_ids) = example_wave(&app.db, "Khảo sát 2025", 2025).await;
        let questionnaire = surveys::get_wave(&app.db, wave)
            .await
            .unwrap()
            .questionnaire_id
            .to_string();
        app.login("thuongtruc").await;
        let wave_form = |title: &'static str,
                         opens: &'static str,
                         closes: &'static str,
                         margin: &'static str| {
            vec![
                ("questionnaire_id", questionnaire.clone()),
                ("title", title.to_string()),
                ("period_year", "2026".to_string()),
                ("opens_on", opens.to_string()),
                ("closes_on", closes.to_string()),
                ("margin_e", margin.to_string()),
            ]
        };
        let post_wave = |fields: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let response = app.post_form("/khao-sat/dot", &pairs).await;
                assert_eq!(response.status().as_u16(), 422, "{:?}", app.backend);
                response.text().await.unwrap()
            }
        };

        // An empty title: beside the title, nothing at the top.
        let body = post_wave(wave_form(" ", "", "", "0,05")).await;
        assert_eq!(
            field_error(&body, "wave-title").as_deref(),
            Some("Tên đợt khảo sát: hãy nhập tên."),
            "{body}"
        );
        assert!(!body.contains("id=\"form-error\""), "{body}");
        assert!(body.contains("aria-describedby=\"wave-title-error\""));
        assert_vietnamese("/khao-sat/dot", &body);

        // Closing before opening: beside the closing date, both dates day first.
        let body = post_wave(wave_form("Quý 2", "2026-04-20", "2026-04-10", "0,05")).await;
        assert_eq!(
            field_error(&body, "wave-closes_on").as_deref(),
            Some("Ngày đóng 10/04/2026 trước ngày mở 20/04/2026."),
            "{body}"
        );
        assert!(field_error(&body, "wave-title").is_none());
        assert!(body.contains("value=\"Quý 2\""), "what was typed is kept");
        assert_vietnamese("/khao-sat/dot", &body);

        // A margin out of range, with a decimal comma.
        let body = post_wave(wave_form("Quý 2", "", "", "1,5")).await;
        assert_eq!(
            field_error(&body, "wave-margin_e").as_deref(),
            Some("Sai số e 1,5 phải lớn hơn 0 và nhỏ hơn 1 (ví dụ 0,05)."),
            "{body}"
        );

        // A questionnaire form with nothing chosen: beside the TOML text, its section open.
        let response = app.post_form("/khao-sat/phieu", &[("toml", " ")]).await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(field_error(&body, "questionnaire-toml").is_some(), "{body}");
        assert_vietnamese("/khao-sat/phieu", &body);

        // A device without a name: beside the device's name, not the service's.
        let unit_path = format!("/khao-sat/dot/{wave}/don-vi/{}", unit_ids[0]);
        let response = app
            .post_form(&format!("{unit_path}/thiet-bi"), &[("name", " ")])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert_eq!(
            field_error(&body, "device-name").as_deref(),
            Some("Tên thiết bị: hãy nhập tên."),
            "{body}"
        );
        assert!(field_error(&body, "service-name").is_none());
        assert_vietnamese(&unit_path, &body);

        // A service name left blank: beside the service's name, naming its code.
        let response = app
            .post_form(
                &format!("{unit_path}/dich-vu"),
                &[("code", "gpxd"), ("name", " "), ("transactions", "")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert_eq!(
            field_error(&body, "service-name").as_deref(),
            Some("Dịch vụ GPXD: hãy nhập tên dịch vụ."),
            "{body}"
        );
        assert_vietnamese(&unit_path, &body);

        // The same refusal in English.
        app.post_form("/ngon-ngu", &[("lang", "en")]).await;
        let body = post_wave(wave_form("Q2", "2026-04-20", "2026-04-10", "0.05")).await;
        assert_eq!(
            field_error(&body, "wave-closes_on").as_deref(),
            Some("The closing date 10/04/2026 is before the opening date 20/04/2026."),
            "{body}"
        );
    }
}

/// Every survey refusal of the store, with sample values; the matches make a new variant a
/// compile error here until it is listed.
fn survey_refusals() -> Vec<surveys::SurveyRefusal> {
    use chiso_store::surveys::{
        LeafMapRefusal as L, QuestionnaireRefusal as Q, ServiceRefusal as S, SurveyRefusal as R,
        WaveFieldRefusal as W,
    };
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
    let code = || "GPXD".to_string();
    let waves = vec![
        W::TitleEmpty,
        W::YearOutOfRange { year: 1999 },
        W::QuarterOutOfRange { quarter: 5 },
        W::ClosesBeforeOpens {
            opens: day(20),
            closes: day(10),
        },
        W::MarginOutOfRange { margin: 1.5 },
        W::MarginOutOfRange { margin: f64::NAN },
        W::DuplicateWindowNegative { seconds: -60 },
    ];
    let services = vec![
        S::CodeEmpty,
        S::CodeInvalid {
            code: "GP XD".into(),
            max: 32,
        },
        S::NameEmpty { code: code() },
        S::NameTooLong {
            code: code(),
            max: 300,
        },
        S::TransactionsNegative {
            code: code(),
            transactions: -1_000,
        },
        S::InUse { code: code() },
    ];
    let questionnaires = vec![
        Q::ItemCount { count: 300 },
        Q::ValuesMismatch {
            items: 23,
            values: 22,
        },
        Q::NoValues,
        Q::ItemTwice { code: "q1".into() },
        Q::CodeOrTitleEmpty,
        Q::UnknownFormat {
            format: "yaml".into(),
        },
        Q::NotToml {
            code: "sipas-2017".into(),
            version: 2,
            format: "json".into(),
        },
        Q::Definition {
            file: "phieu.toml".into(),
            problems: vec!["expected a table, found an integer".into()],
        },
        Q::UnknownBundled {
            id: "khong-co".into(),
        },
    ];
    let leaves = vec![
        L::BadSource {
            text: "tong-hop".into(),
        },
        L::SourceNotInQuestionnaire {
            questionnaire: "sipas-2017".into(),
            text: "item:c99".into(),
        },
        L::NotSurveyLeaf { node_id: 12 },
        L::NoParMapping {
            questionnaire: "sipas-2017".into(),
        },
        L::LeavesMissing {
            codes: vec!["8.1".into(), "8.2".into()],
        },
    ];
    let mut all: Vec<R> = vec![
        R::LeavesFinal(CampaignState::Finalized),
        R::LeavesNotNow(CampaignState::Draft),
        R::DeviceNameEmpty,
        R::TokenCount {
            count: 200_000,
            max: 100_000,
        },
        R::WaveClosed,
        R::UnitNotInWave,
        R::ServiceNotInUnit,
        R::UnitHasResponses,
        R::TransactionsNegative { transactions: -5 },
        R::WaveChangedMeanwhile,
        R::NoFreeShortLink,
        R::ImportIntoDraft,
        R::WriterStopped,
        R::ExclusionReasonEmpty,
    ];
    all.extend(waves.into_iter().map(R::Wave));
    all.extend(services.into_iter().map(R::Service));
    all.extend(questionnaires.into_iter().map(R::Questionnaire));
    all.extend(leaves.into_iter().map(R::LeafMap));
    for refusal in &all {
        match refusal {
            R::Wave(
                W::TitleEmpty
                | W::YearOutOfRange { .. }
                | W::QuarterOutOfRange { .. }
                | W::ClosesBeforeOpens { .. }
                | W::MarginOutOfRange { .. }
                | W::DuplicateWindowNegative { .. },
            )
            | R::Service(
                S::CodeEmpty
                | S::CodeInvalid { .. }
                | S::NameEmpty { .. }
                | S::NameTooLong { .. }
                | S::TransactionsNegative { .. }
                | S::InUse { .. },
            )
            | R::Questionnaire(
                Q::ItemCount { .. }
                | Q::ValuesMismatch { .. }
                | Q::NoValues
                | Q::ItemTwice { .. }
                | Q::CodeOrTitleEmpty
                | Q::UnknownFormat { .. }
                | Q::NotToml { .. }
                | Q::Definition { .. }
                | Q::UnknownBundled { .. },
            )
            | R::LeafMap(
                L::BadSource { .. }
                | L::SourceNotInQuestionnaire { .. }
                | L::NotSurveyLeaf { .. }
                | L::NoParMapping { .. }
                | L::LeavesMissing { .. },
            )
            | R::LeavesFinal(_)
            | R::LeavesNotNow(_)
            | R::DeviceNameEmpty
            | R::TokenCount { .. }
            | R::WaveClosed
            | R::UnitNotInWave
            | R::ServiceNotInUnit
            | R::UnitHasResponses
            | R::TransactionsNegative { .. }
            | R::WaveChangedMeanwhile
            | R::NoFreeShortLink
            | R::ImportIntoDraft
            | R::WriterStopped
            | R::ExclusionReasonEmpty => {}
        }
    }
    all
}

/// Every shape fault of a packed response, with sample values.
fn shape_faults() -> Vec<surveys::ShapeFault> {
    use chiso_store::surveys::ShapeFault as F;
    let all = vec![
        F::AnswerCount {
            found: 22,
            expected: 23,
        },
        F::Answer {
            item: 4,
            code: "c05".into(),
            value: 9,
            values: 5,
        },
        F::DemographicCount {
            found: 1,
            expected: 3,
        },
        F::Demographic {
            question: 1,
            value: 7,
            values: 4,
        },
        F::TooManyExpectations { chosen: 4, max: 3 },
        F::Expectation { area: 12, areas: 9 },
        F::ExpectationTwice { area: 2 },
    ];
    for fault in &all {
        match fault {
            F::AnswerCount { .. }
            | F::Answer { .. }
            | F::DemographicCount { .. }
            | F::Demographic { .. }
            | F::TooManyExpectations { .. }
            | F::Expectation { .. }
            | F::ExpectationTwice { .. } => {}
        }
    }
    all
}

#[test]
fn every_survey_refusal_says_itself_in_vietnamese() {
    use chiso_web::describe::Describe;
    use chiso_web::i18n::Lang;
    let mut all: Vec<Box<dyn Describe>> = Vec::new();
    for refusal in survey_refusals() {
        all.push(Box::new(refusal));
    }
    for fault in shape_faults() {
        all.push(Box::new(surveys::Refusal::Shape(fault)));
    }
    for refusal in all {
        let vi = refusal.describe(Lang::Vi);
        let en = refusal.describe(Lang::En);
        assert_vietnamese(&format!("{refusal:?}"), &format!("<p>{vi}</p>"));
        // Said from a locale key (filled in), not the key itself.
        for text in [&vi, &en] {
            assert!(
                !text.contains("surveys.") && !text.contains('{'),
                "{refusal:?}: {text}"
            );
        }
        assert_ne!(vi, en, "{refusal:?}");
    }
    // Numbers the Vietnamese way.
    let vi = |r: surveys::SurveyRefusal| r.describe(Lang::Vi);
    assert!(
        vi(surveys::SurveyRefusal::TokenCount {
            count: 200_000,
            max: 100_000
        })
        .contains("1 đến 100.000 (đã nhập 200.000)")
    );
}
