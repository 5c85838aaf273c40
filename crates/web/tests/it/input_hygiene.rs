//! Hostile text over HTTP, on SQLite and PostgreSQL: NUL and other control characters and
//! over-long values in every kind of input (login, the public form and its links, the kiosk
//! JSON, staff forms and filters, imported files) are refused with a 4xx naming the field in
//! Vietnamese (English under the English switch), never a 500, and nothing is stored. Upload
//! routes take only their declared fields within a bounded body; the same bytes uploaded by
//! two units keep each unit's own file name; evidence ids answer 404 whether they exist or not.
//!
//! Each test records every probe and checks them together at the end, so that a run with
//! `--nocapture` prints the status of every input even when one of them fails.

use crate::common;

use chiso_domain::access::Role;
use chiso_domain::assessment::Stage;
use chiso_store::assessments;
use chiso_store::surveys::{self, WaveFields};
use chiso_store::{Actor, Backend, Db, campaigns, evidence, frameworks, units, users};
use common::{TestApp, apps, apps_with, pairs, sipas_fields};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// The Vietnamese refusal of a control character in a field.
fn control(label: &str) -> String {
    format!("Trường «{label}» chứa ký tự điều khiển không hợp lệ.")
}

/// The Vietnamese refusal of an over-long field.
fn too_long(label: &str, max: &str) -> String {
    format!("Trường «{label}» dài quá {max} ký tự.")
}

/// Every probe of a test: what was sent, the status, whether the expected message was there.
struct Probes {
    backend: Backend,
    seen: Vec<(String, u16, bool)>,
}

impl Probes {
    fn new(backend: Backend) -> Probes {
        Probes {
            backend,
            seen: Vec::new(),
        }
    }

    /// Records a response that must be a 4xx (`status` when given) carrying `message`.
    async fn refused(
        &mut self,
        what: &str,
        response: reqwest::Response,
        status: Option<u16>,
        message: &str,
    ) {
        let code = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        let fits = (400..500).contains(&code)
            && status.is_none_or(|s| s == code)
            && body.contains(message);
        if !fits {
            let at = body.find("class=\"error").unwrap_or(0);
            let shown: String = body[at..].chars().take(400).collect();
            eprintln!("{:?} {what}: {code} {shown}", self.backend);
        }
        self.seen.push((what.to_string(), code, fits));
    }

    /// Records a JSON refusal: 422 naming `field`.
    fn refused_json(&mut self, what: &str, status: u16, body: &Value, field: &str) {
        let fits = status == 422 && body["field"] == field && body["error"].is_string();
        if !fits {
            eprintln!("{:?} {what}: {status} {body}", self.backend);
        }
        self.seen.push((what.to_string(), status, fits));
    }

    /// Records a plain check.
    fn check(&mut self, what: &str, ok: bool) {
        self.seen.push((what.to_string(), 0, ok));
    }

    fn assert_all(self) {
        for (what, status, fits) in &self.seen {
            eprintln!(
                "{:?}\t{status}\t{}\t{what}",
                self.backend,
                if *fits { "ok" } else { "FAILED" }
            );
        }
        let failed: Vec<&String> = self
            .seen
            .iter()
            .filter(|(_, _, fits)| !fits)
            .map(|(what, _, _)| what)
            .collect();
        assert!(failed.is_empty(), "{:?}: {failed:?}", self.backend);
    }
}

fn operator() -> Actor {
    Actor::user(1, "Thư ký khảo sát")
}

/// An open SIPAS wave over two demo units, with their short links.
struct Wave {
    id: i64,
    units: Vec<i64>,
    slugs: Vec<String>,
}

async fn open_wave(db: &Db) -> Wave {
    let questionnaire = surveys::register_bundled(db, &operator(), "sipas-2017")
        .await
        .unwrap();
    let chosen: Vec<i64> = units::list(db)
        .await
        .unwrap()
        .iter()
        .take(2)
        .map(|u| u.id)
        .collect();
    let wave = surveys::create_wave(
        db,
        &operator(),
        &WaveFields::new(questionnaire, "Khảo sát thử", 2025),
    )
    .await
    .unwrap();
    let with_n: Vec<(i64, Option<i64>)> = chosen.iter().map(|&u| (u, Some(1_000))).collect();
    surveys::set_units(db, &operator(), wave, &with_n)
        .await
        .unwrap();
    surveys::open_wave(db, &operator(), wave).await.unwrap();
    let rows = surveys::wave_units(db, wave).await.unwrap();
    let slugs = chosen
        .iter()
        .map(|u| rows.iter().find(|r| r.unit_id == *u).unwrap().slug.clone())
        .collect();
    Wave {
        id: wave,
        units: chosen,
        slugs,
    }
}

async fn responses(db: &Db, wave: i64, unit: i64) -> u64 {
    surveys::counts(db, wave, &[unit], None).await.unwrap()[0]
        .counts
        .responses
        .n
}

/// Failed logins recorded from the test client's address in the last hour.
async fn login_attempts(db: &Db) -> i64 {
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    chiso_store::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND NOT succeeded AND at >= $2")
        .bind("127.0.0.1")
        .bind(since)
        .fetch_one(pool)
        .await
        .unwrap())
}

pub(crate) async fn unit(db: &Db, code: &str) -> units::OrgUnit {
    units::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == code)
        .unwrap()
}

pub(crate) async fn open_campaign(db: &Db) -> i64 {
    campaigns::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == chiso_domain::campaign::CampaignState::Open)
        .expect("the demo campaign is open")
        .id
}

/// The demo campaign's sheet of a unit and the id of one of its leaves.
pub(crate) async fn sheet_and_leaf(db: &Db, unit_code: &str, leaf: &str) -> (i64, i64) {
    let campaign = open_campaign(db).await;
    let unit = unit(db, unit_code).await.id;
    let sheet = assessments::sheet_for_unit(db, &Actor::system("test"), campaign, unit)
        .await
        .unwrap();
    let nodes = frameworks::load(db, sheet.framework_id)
        .await
        .unwrap()
        .node_ids;
    (sheet.id, nodes[leaf])
}

pub(crate) fn file_part(name: &str, bytes: Vec<u8>, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

pub(crate) fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% chiso {tag}\n1 0 obj << >> endobj\n%%EOF\n").into_bytes()
}

/// An htmx autosave of a leaf's explanation.
async fn save_explanation(app: &TestApp, sheet: i64, leaf: i64, text: &str) -> reqwest::Response {
    app.request(
        reqwest::Method::POST,
        &format!("/tu-danh-gia/{sheet}/tieu-chi/{leaf}"),
    )
    .header("hx-request", "true")
    .header("x-csrf-token", app.csrf())
    .form(&[("version", ""), ("explanation", text)])
    .send()
    .await
    .unwrap()
}

async fn api(app: &TestApp, key: &str, body: &Value) -> (u16, Value) {
    let response = app
        .request(reqwest::Method::POST, "/api/v1/responses")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The login form: no attempt recorded, no 500.
async fn login_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let attempts = login_attempts(&db).await;
    for (what, username, password, label) in [
        ("login username NUL", "adm\0in", "x", "Tên đăng nhập"),
        ("login username ESC", "admin\u{1b}[2J", "x", "Tên đăng nhập"),
        ("login username LF", "admin\n", "x", "Tên đăng nhập"),
        ("login password NUL", "admin", "mật\0khẩu", "Mật khẩu"),
    ] {
        let response = app.try_login(username, password).await;
        probes
            .refused(what, response, Some(422), &control(label))
            .await;
    }
    let response = app.try_login(&"a".repeat(101), "x").await;
    probes
        .refused(
            "login username 101 chars",
            response,
            Some(422),
            &too_long("Tên đăng nhập", "100"),
        )
        .await;
    probes.check(
        "login: no attempt stored",
        login_attempts(&db).await == attempts,
    );
}

/// Links: a control character in a path segment or a query parameter.
async fn link_probes(app: &TestApp, probes: &mut Probes, wave: &Wave) {
    let slugs = &wave.slugs;
    for (what, path) in [
        ("GET /ks/%00", "/ks/%00".to_string()),
        ("GET /ks/%1B", "/ks/%1B".to_string()),
        ("GET /ks/t/%00", "/ks/t/%00".to_string()),
        ("POST-less GET /tai-lieu/%00", "/tai-lieu/%00".to_string()),
    ] {
        let response = app.get(&path).await;
        let status = match path.starts_with("/tai-lieu") {
            // Anonymous visitors are sent to the login page before the path is read.
            true => {
                probes.check(what, response.status().as_u16() == 303);
                continue;
            }
            false => Some(400),
        };
        probes
            .refused(what, response, status, &control("Đường dẫn"))
            .await;
    }
    let long_slug = format!("/ks/{}", "x".repeat(101));
    let response = app.get(&long_slug).await;
    probes
        .refused(
            "GET /ks/<101 chars>",
            response,
            Some(400),
            &too_long("Đường dẫn", "100"),
        )
        .await;
    let response = app.get(&format!("/ks/{}?dv=%00", slugs[0])).await;
    probes
        .refused(
            "GET /ks/{slug}?dv=%00",
            response,
            Some(422),
            &control("Dịch vụ"),
        )
        .await;
}

/// The public form: the respondent id, the comment, an answer.
async fn public_form_probes(app: &TestApp, probes: &mut Probes, wave: &Wave) {
    let db = app.db.clone();
    let (wave, wave_units, slugs) = (wave.id, &wave.units, &wave.slugs);
    let path = format!("/ks/{}", slugs[0]);
    for (what, field, value, label) in [
        (
            "form respondent_id NUL",
            "respondent_id",
            "HS\0-1",
            "Mã người trả lời",
        ),
        (
            "form respondent_id CR",
            "respondent_id",
            "HS-1\r",
            "Mã người trả lời",
        ),
        ("form comment NUL", "comment", "tốt\0", "Ý kiến khác"),
        ("form comment BEL", "comment", "tốt\u{7}", "Ý kiến khác"),
        ("form answer NUL", "c01", "5\0", "c01"),
    ] {
        let mut fields = sipas_fields("5");
        fields.retain(|(k, _)| k != field);
        fields.push((field.to_string(), value.to_string()));
        let response = app.post_form(&path, &pairs(&fields)).await;
        probes
            .refused(what, response, Some(422), &control(label))
            .await;
    }
    let mut fields = sipas_fields("5");
    fields.push(("comment".into(), "x".repeat(20_001)));
    let response = app.post_form(&path, &pairs(&fields)).await;
    probes
        .refused(
            "form comment 20,001 chars",
            response,
            Some(422),
            &too_long("Ý kiến khác", "20.000"),
        )
        .await;
    probes.check(
        "form: nothing stored",
        responses(&db, wave, wave_units[0]).await == 0,
    );
    // Line breaks and tabs stay welcome in prose.
    let mut fields = sipas_fields("5");
    fields.push(("comment".into(), "Phục vụ\r\n\ttốt".into()));
    let response = app.post_form(&path, &pairs(&fields)).await;
    probes.check(
        "form comment with CRLF and TAB accepted",
        response.status().as_u16() == 303,
    );
}

/// The kiosk API: 422 with the JSON path of the field, nothing stored.
async fn kiosk_probes(app: &TestApp, probes: &mut Probes, wave: &Wave) {
    let db = app.db.clone();
    let (wave, wave_units) = (wave.id, &wave.units);
    let (_, key) = surveys::create_device(&db, &operator(), wave_units[1], Some(wave), "Kiosk")
        .await
        .unwrap();
    for (what, body, field) in [
        (
            "api respondent_id NUL",
            json!({"respondent_id": "HS-\u{0}1", "answers": {"c01": 5}}),
            "respondent_id",
        ),
        (
            "api comment NUL",
            json!({"comment": "\u{0}", "answers": {"c01": 5}}),
            "comment",
        ),
        (
            "api unit_code NUL",
            json!({"unit_code": "S\u{0}", "answers": {"c01": 5}}),
            "unit_code",
        ),
        (
            "api channel ESC",
            json!({"channel": "kiosk\u{1b}", "answers": {"c01": 5}}),
            "channel",
        ),
        (
            "api service NUL",
            json!({"service": "\u{0}", "answers": {"c01": 5}}),
            "service",
        ),
        (
            "api answer NUL",
            json!({"answers": {"c01": "5\u{0}"}}),
            "answers.c01",
        ),
        (
            "api answer key NUL",
            json!({"answers": {"c\u{0}1": 5}}),
            "answers",
        ),
        (
            "api expectation NUL",
            json!({"answers": {"c01": 5}, "expectations": ["\u{0}"]}),
            "expectations",
        ),
        (
            "api demographic NUL",
            json!({"answers": {"c01": 5}, "demographics": {"sex": "nu\u{0}"}}),
            "demographics.sex",
        ),
        (
            "api respondent_id 101 chars",
            json!({"respondent_id": "x".repeat(101), "answers": {"c01": 5}}),
            "respondent_id",
        ),
    ] {
        let (status, answer) = api(app, &key, &body).await;
        probes.refused_json(what, status, &answer, field);
    }
    // The device is still asked for first.
    let (status, _) = api(app, "wrong-key", &json!({"comment": "\u{0}"})).await;
    probes.check("api: unknown key before the body", status == 401);
    probes.check(
        "api: nothing stored",
        responses(&db, wave, wave_units[1]).await == 0,
    );
}

#[tokio::test]
async fn anonymous_inputs_refuse_control_characters() {
    for mut app in apps().await {
        let mut probes = Probes::new(app.backend);
        let wave = open_wave(&app.db).await;
        app.reset_client().await;
        login_probes(&app, &mut probes).await;
        link_probes(&app, &mut probes, &wave).await;
        public_form_probes(&app, &mut probes, &wave).await;
        kiosk_probes(&app, &mut probes, &wave).await;
        probes.assert_all();
    }
}

/// Units: create, edit, search.
async fn unit_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let huge = "x".repeat(200_000);
    let s03 = unit(&db, "S03").await;
    let department = s03.parent_id.expect("S03 has a parent");
    let before = units::list(&db).await.unwrap().len();
    let parent = department.to_string();
    for (what, name, message) in [
        ("unit create name NUL", "Sở\0 Mới", control("Tên đơn vị")),
        ("unit create name VT", "Sở\u{b}Mới", control("Tên đơn vị")),
        (
            "unit create name 301 chars",
            &"Đ".repeat(301)[..],
            too_long("Tên đơn vị", "300"),
        ),
        (
            "unit create name 200,000 chars",
            &huge[..],
            too_long("Tên đơn vị", "300"),
        ),
    ] {
        let response = app
            .post_form(
                "/don-vi",
                &[
                    ("code", "S99"),
                    ("name", name),
                    ("kind", "department"),
                    ("parent_id", &parent),
                ],
            )
            .await;
        probes.refused(what, response, Some(422), &message).await;
    }
    let response = app
        .post_form(
            "/don-vi",
            &[
                ("code", "S9\0"),
                ("name", "Sở Mới"),
                ("kind", "department"),
                ("parent_id", &parent),
            ],
        )
        .await;
    probes
        .refused(
            "unit create code NUL",
            response,
            Some(422),
            &control("Mã đơn vị"),
        )
        .await;
    let response = app
        .post_form(
            &format!("/don-vi/{}/sua", s03.id),
            &[
                ("code", &s03.code),
                ("name", "Sở Tư pháp\0"),
                ("kind", s03.kind.as_str()),
                ("parent_id", &parent),
            ],
        )
        .await;
    probes
        .refused(
            "unit edit name NUL",
            response,
            Some(422),
            &control("Tên đơn vị"),
        )
        .await;
    probes.check(
        "units: nothing stored",
        units::list(&db).await.unwrap().len() == before && unit(&db, "S03").await.name == s03.name,
    );
    let response = app.get("/don-vi?q=S%00").await;
    probes
        .refused("unit search NUL", response, Some(422), &control("Tìm kiếm"))
        .await;
}

/// The audit log's filters.
async fn audit_probes(app: &TestApp, probes: &mut Probes) {
    for (what, path) in [
        ("audit entity_type NUL", "/nhat-ky?entity_type=org%00unit"),
        ("audit csv entity_type NUL", "/nhat-ky.csv?entity_type=%00"),
    ] {
        let response = app.get(path).await;
        probes
            .refused(what, response, Some(422), &control("Loại đối tượng"))
            .await;
    }
}

/// Campaigns: the title.
async fn campaign_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let huge = "x".repeat(200_000);
    let campaigns_before = campaigns::list(&db).await.unwrap().len();
    for (what, title, message) in [
        (
            "campaign title NUL",
            "Đợt\0 2026",
            control("Tên đợt đánh giá"),
        ),
        (
            "campaign title 200,000 chars",
            &huge[..],
            too_long("Tên đợt đánh giá", "300"),
        ),
    ] {
        let response = app
            .post_form(
                "/dot-danh-gia",
                &[
                    ("year", "2026"),
                    ("title", title),
                    ("appraisal_rounds", "1"),
                    ("bands", "Tốt:80,Khá:70,Yếu"),
                ],
            )
            .await;
        probes.refused(what, response, Some(422), &message).await;
    }
    probes.check(
        "campaigns: nothing stored",
        campaigns::list(&db).await.unwrap().len() == campaigns_before,
    );
}

/// An extension's reason (prose: line breaks are fine, control characters are not).
async fn extension_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let huge = "x".repeat(200_000);
    let campaign = open_campaign(&db).await;
    let s05 = unit(&db, "S05").await.id.to_string();
    for (what, reason, message) in [
        ("extension reason NUL", "muộn\0", control("Lý do")),
        ("extension reason ESC", "muộn\u{1b}", control("Lý do")),
        (
            "extension reason 200,000 chars",
            &huge[..],
            too_long("Lý do", "20.000"),
        ),
    ] {
        let response = app
            .post_form(
                &format!("/dot-danh-gia/{campaign}/gia-han"),
                &[
                    ("unit_id", &s05),
                    ("stage", "self_assessment"),
                    ("until", "2099-01-01"),
                    ("reason", reason),
                ],
            )
            .await;
        probes.refused(what, response, Some(422), &message).await;
    }
    let s05_id: i64 = s05.parse().unwrap();
    probes.check(
        "extension: nothing stored",
        assessments::extension_for(&db, campaign, s05_id, Stage::SelfAssessment)
            .await
            .unwrap()
            .is_none(),
    );
}

/// A kiosk's name.
async fn device_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let huge = "x".repeat(200_000);
    let Wave {
        id: wave,
        units: wave_units,
        ..
    } = open_wave(&db).await;
    let device_path = format!("/khao-sat/dot/{wave}/don-vi/{}/thiet-bi", wave_units[0]);
    for (what, name, message) in [
        ("device name NUL", "Quầy\0 1", control("Tên thiết bị")),
        (
            "device name 200,000 chars",
            &huge[..],
            too_long("Tên thiết bị", "300"),
        ),
    ] {
        let response = app.post_form(&device_path, &[("name", name)]).await;
        probes.refused(what, response, Some(422), &message).await;
    }
    probes.check(
        "devices: nothing stored",
        surveys::devices(&db, wave_units[0])
            .await
            .unwrap()
            .is_empty(),
    );
}

/// Imported units: the cells are checked like the form's fields.
async fn units_import_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let before = units::list(&db).await.unwrap().len();
    for (what, csv, message) in [
        (
            "units import name NUL",
            "unit_code,unit_name,kind,parent_code\nS98,Sở\0 Nhập,department,99\n".to_string(),
            "Cột «unit_name» chứa ký tự điều khiển không hợp lệ.",
        ),
        (
            // Under the reader's own cell limit (32,767 characters), over the name's.
            "units import name 20,000 characters",
            format!(
                "unit_code,unit_name,kind,parent_code\nS98,{},department,99\n",
                "x".repeat(20_000)
            ),
            "Cột «unit_name» dài quá 300 ký tự.",
        ),
        (
            "units import code ESC",
            "unit_code,unit_name,kind,parent_code\nS\u{1b}8,Sở Nhập,department,99\n".to_string(),
            "Cột «unit_code» chứa ký tự điều khiển không hợp lệ.",
        ),
    ] {
        let form = Form::new().part("file", file_part("units.csv", csv.into_bytes(), "text/csv"));
        let response = app.post_multipart("/don-vi/nhap", form).await;
        probes.refused(what, response, Some(422), message).await;
    }
    probes.check(
        "units import: nothing stored",
        units::list(&db).await.unwrap().len() == before,
    );
}

/// An imported framework's titles and its form's fields.
async fn framework_import_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let frameworks_before = frameworks::list(&db).await.unwrap().len();
    let framework_csv =
        "code,title,max_points,method\n1,Lĩnh vực\0 một,10,\n1.1,Tiêu chí,10,self\n";
    let fields = [
        ("code", "nul-2026"),
        ("title", "Bộ thử"),
        ("year", "2026"),
        ("unit_kind", "province"),
    ];
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k, v);
    }
    let form = form.part(
        "file",
        file_part("bo.csv", framework_csv.as_bytes().to_vec(), "text/csv"),
    );
    let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
    probes
        .refused(
            "framework import title cell NUL",
            response,
            Some(422),
            "Cột «title» chứa ký tự điều khiển không hợp lệ.",
        )
        .await;
    let form = Form::new()
        .text("code", "nul-2026")
        .text("title", "Bộ\0 thử")
        .part(
            "file",
            file_part("bo.csv", b"code,title\n".to_vec(), "text/csv"),
        );
    let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
    probes
        .refused(
            "framework import title field NUL",
            response,
            Some(422),
            &control("Tên bộ tiêu chí"),
        )
        .await;
    probes.check(
        "frameworks: nothing stored",
        frameworks::list(&db).await.unwrap().len() == frameworks_before,
    );
}

/// A survey responses file: a control character anywhere refuses the file before a row is read.
async fn responses_import_probes(app: &TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let wave = open_wave(&db).await;
    let code = units::get(&db, wave.units[0]).await.unwrap().code;
    let items: Vec<String> = (1..=22).map(|i| format!("c{i:02}")).collect();
    let answers = vec!["5"; 22].join(",");
    let csv = format!(
        "unit_code,respondent_id,{},overall\n{code},HS-1,{answers},5\n{code},HS-\u{0}2,{answers},5\n",
        items.join(",")
    );
    let form = Form::new().part("file", file_part("phieu.csv", csv.into_bytes(), "text/csv"));
    let response = app
        .post_multipart(&format!("/khao-sat/dot/{}/nhap-tep", wave.id), form)
        .await;
    probes
        .refused(
            "responses import respondent_id NUL",
            response,
            Some(422),
            "Tệp «phieu.csv» chứa ký tự điều khiển không hợp lệ ở dòng 3.",
        )
        .await;
    probes.check(
        "responses import: nothing stored",
        responses(&db, wave.id, wave.units[0]).await == 0,
    );
}

/// Accounts: the full name (the administrator).
async fn account_probes(app: &mut TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    let huge = "x".repeat(200_000);
    app.login("admin").await;
    let users_before = users::list(&db).await.unwrap().len();
    for (what, full_name, message) in [
        ("user full_name NUL", "Nguyễn\0 Văn A", control("Họ tên")),
        (
            "user full_name 200,000 chars",
            &huge[..],
            too_long("Họ tên", "300"),
        ),
    ] {
        let response = app
            .post_form(
                "/nguoi-dung",
                &[
                    ("username", "nguoimoi"),
                    ("full_name", full_name),
                    ("email", ""),
                    ("password", "mat-khau-du-dai-2026"),
                ],
            )
            .await;
        probes.refused(what, response, Some(422), &message).await;
    }
    let someone = users::find_by_username(&db, "xemketqua")
        .await
        .unwrap()
        .unwrap();
    let response = app
        .post_form(
            &format!("/nguoi-dung/{}/ho-so", someone.id),
            &[("full_name", &"Ư".repeat(301)[..]), ("email", "")],
        )
        .await;
    probes
        .refused(
            "user profile full_name 301 chars",
            response,
            Some(422),
            &too_long("Họ tên", "300"),
        )
        .await;
    probes.check(
        "users: nothing stored",
        users::list(&db).await.unwrap().len() == users_before
            && users::get(&db, someone.id).await.unwrap().full_name == someone.full_name,
    );
}

/// The scoresheet's explanation: refused before the save, told through the header the
/// autosave reads, nothing stored.
async fn explanation_probes(app: &mut TestApp, probes: &mut Probes) {
    let db = app.db.clone();
    app.login("nhaplieu").await;
    let (sheet, leaf) = sheet_and_leaf(&db, "S03", "1.1").await;
    let response = save_explanation(app, sheet, leaf, "giải trình\0").await;
    probes.check(
        "explanation NUL: refusal header",
        response.headers().contains_key("x-input-refused"),
    );
    probes
        .refused(
            "explanation NUL",
            response,
            Some(422),
            &control("Giải trình"),
        )
        .await;
    let response = save_explanation(app, sheet, leaf, &"x".repeat(20_001)).await;
    probes
        .refused(
            "explanation 20,001 chars",
            response,
            Some(422),
            &too_long("Giải trình", "20.000"),
        )
        .await;
    let stored = assessments::leaf_scores(&db, sheet)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.node_id == leaf && r.stage == 0)
        .and_then(|r| r.explanation);
    probes.check("explanation: nothing stored", stored.is_none());
    let response = save_explanation(app, sheet, leaf, "Dòng 1\r\n\tDòng 2").await;
    probes.check(
        "explanation with CRLF and TAB saved",
        response.status().as_u16() == 200,
    );
}

/// Under the English switch the refusal is English.
async fn english_probes(app: &mut TestApp, probes: &mut Probes) {
    app.login("thuongtruc").await;
    let response = app.post_form("/ngon-ngu", &[("lang", "en")]).await;
    probes.check("switch to English", response.status().is_redirection());
    let response = app
        .post_form("/don-vi", &[("code", "S99"), ("name", "Unit\0")])
        .await;
    probes
        .refused(
            "unit create name NUL (English)",
            response,
            Some(422),
            "The field «Unit name» contains an invalid control character.",
        )
        .await;
}

#[tokio::test]
async fn staff_inputs_refuse_control_characters_and_over_long_text() {
    for mut app in apps().await {
        let mut probes = Probes::new(app.backend);
        app.login("thuongtruc").await;
        unit_probes(&app, &mut probes).await;
        audit_probes(&app, &mut probes).await;
        campaign_probes(&app, &mut probes).await;
        extension_probes(&app, &mut probes).await;
        device_probes(&app, &mut probes).await;
        units_import_probes(&app, &mut probes).await;
        framework_import_probes(&app, &mut probes).await;
        responses_import_probes(&app, &mut probes).await;
        account_probes(&mut app, &mut probes).await;
        explanation_probes(&mut app, &mut probes).await;
        english_probes(&mut app, &mut probes).await;
        probes.assert_all();
    }
}

/// A second unit's editor (of S05) with the demo password.
async fn second_editor(db: &Db) {
    let system = Actor::system("test");
    let demo = users::find_by_username(db, "nhaplieu")
        .await
        .unwrap()
        .unwrap();
    let id = users::create(
        db,
        &system,
        &users::NewUser {
            username: "nhaplieu5".into(),
            full_name: "Nhập liệu Sở Công Thương".into(),
            email: None,
            password_hash: demo.password_hash,
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    let s05 = unit(db, "S05").await.id;
    users::add_role(db, &system, id, Role::UnitEditor, Some(s05), &[])
        .await
        .unwrap();
}

pub(crate) async fn upload_to(
    app: &TestApp,
    sheet: i64,
    leaf: i64,
    form: Form,
) -> reqwest::Response {
    app.post_multipart(
        &format!("/tu-danh-gia/{sheet}/tieu-chi/{leaf}/tai-lieu"),
        form,
    )
    .await
}

/// The imports refuse undeclared fields too, and bound their text fields.
async fn import_field_probes(app: &mut TestApp, probes: &mut Probes) {
    app.login("thuongtruc").await;
    let units_csv = "unit_code,unit_name,kind,parent_code\nS98,Sở Nhập,department,99\n";
    let form = Form::new().text("junk", "x").part(
        "file",
        file_part("units.csv", units_csv.as_bytes().to_vec(), "text/csv"),
    );
    let response = app.post_multipart("/don-vi/nhap", form).await;
    probes
        .refused(
            "units import: unknown field",
            response,
            Some(422),
            "Biểu mẫu có trường không được nhận: «junk».",
        )
        .await;
    let form = Form::new().text("code", "x").text("junk", "x");
    let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
    probes
        .refused(
            "framework import: unknown field",
            response,
            Some(422),
            "Biểu mẫu có trường không được nhận: «junk».",
        )
        .await;
    let form = Form::new().text("methodology", "x".repeat(20_001));
    let response = app.post_multipart("/bo-tieu-chi/nhap", form).await;
    probes
        .refused(
            "framework import: methodology 20,001 chars",
            response,
            Some(422),
            &too_long("Phương pháp", "20.000"),
        )
        .await;
}

#[tokio::test]
async fn uploads_take_only_their_fields_within_a_bounded_body() {
    for mut app in apps_with(|config| config.max_upload_bytes = 64 * 1024).await {
        let db = app.db.clone();
        let mut probes = Probes::new(app.backend);
        let (sheet, leaf) = sheet_and_leaf(&db, "S03", "1.1").await;
        app.login("nhaplieu").await;

        // A field the form does not have is refused before it is read, whatever its size. The
        // server answers without reading the rest: the client may see the connection close
        // before it has sent everything, or read the status but not the page.
        let evidence_path = format!("/tu-danh-gia/{sheet}/tieu-chi/{leaf}/tai-lieu");
        let unknown = "Biểu mẫu có trường không được nhận: «junk».";
        for (what, junk, file_size, status, message) in [
            (
                "evidence: unknown field (small)",
                10usize,
                100usize,
                422,
                unknown,
            ),
            ("evidence: unknown field (1 MB)", 1 << 20, 100, 422, unknown),
            (
                "evidence: 1 MB file over a 64 KB limit",
                0,
                1 << 20,
                413,
                "bao-cao-lon.pdf",
            ),
        ] {
            let mut bytes = pdf("big");
            bytes.resize(file_size, b'x');
            let mut form = Form::new();
            if junk > 0 {
                form = form.text("junk", "x".repeat(junk));
            }
            let form = form.part(
                "file",
                file_part("bao-cao-lon.pdf", bytes, "application/pdf"),
            );
            let sent = app
                .request(reqwest::Method::POST, &evidence_path)
                .header("x-csrf-token", app.csrf())
                .multipart(form)
                .send()
                .await;
            let Ok(response) = sent else {
                probes.check(&format!("{what} (connection closed early)"), true);
                continue;
            };
            let code = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            let shown = match body.is_empty() {
                true => "(body not read)".to_string(),
                false => format!("named: {}", body.contains(message)),
            };
            probes.check(
                &format!("{what}: {code}, {shown}"),
                code == status && (body.is_empty() || body.contains(message)),
            );
        }
        // A file name with a control character: the part's header does not parse.
        let name = "bien\u{1b}ban.pdf";
        let form = Form::new().part("file", file_part(name, pdf("esc"), "application/pdf"));
        let response = upload_to(&app, sheet, leaf, form).await;
        let malformed = "Dữ liệu gửi lên không đúng dạng.";
        probes
            .refused("evidence: file name ESC", response, Some(400), malformed)
            .await;
        probes.check(
            "evidence: nothing stored",
            evidence::files_for_sheet(&db, sheet)
                .await
                .unwrap()
                .is_empty(),
        );
        // The form as the page sends it still works (the token may travel in the body).
        let form = Form::new().text("_csrf", app.csrf().to_string()).part(
            "file",
            file_part("bien-ban.pdf", pdf("ok"), "application/pdf"),
        );
        let response = upload_to(&app, sheet, leaf, form).await;
        probes.check(
            "evidence: a plain upload is accepted",
            response.status().is_success() || response.status().is_redirection(),
        );

        import_field_probes(&mut app, &mut probes).await;
        probes.assert_all();
    }
}

#[tokio::test]
async fn the_same_bytes_from_two_units_keep_each_units_name() {
    for mut app in apps().await {
        let db = app.db.clone();
        let mut probes = Probes::new(app.backend);
        second_editor(&db).await;
        let (s03_sheet, s03_leaf) = sheet_and_leaf(&db, "S03", "1.1").await;
        let (s05_sheet, s05_leaf) = sheet_and_leaf(&db, "S05", "1.1").await;
        let secret = "Ky luat can bo Nguyen Van A - MAT.pdf";
        let bytes = pdf("shared content");

        app.login("nhaplieu").await;
        let form = Form::new().part("file", file_part(secret, bytes.clone(), "application/pdf"));
        let response = upload_to(&app, s03_sheet, s03_leaf, form).await;
        probes.check("S03 uploads", response.status().as_u16() < 400);

        app.login("nhaplieu5").await;
        let form = Form::new().part("file", file_part("bao-cao.pdf", bytes, "application/pdf"));
        let response = upload_to(&app, s05_sheet, s05_leaf, form).await;
        probes.check(
            "S05 uploads the same bytes",
            response.status().as_u16() < 400,
        );

        let s03_files = evidence::files_for_sheet(&db, s03_sheet).await.unwrap();
        let s05_files = evidence::files_for_sheet(&db, s05_sheet).await.unwrap();
        probes.check(
            "one stored file",
            s03_files.len() == 1
                && s05_files.len() == 1
                && s03_files[0].file_id == s05_files[0].file_id,
        );
        probes.check(
            "S05's link keeps its name",
            s05_files[0].file_name == "bao-cao.pdf",
        );
        probes.check(
            "S03's link keeps its name",
            s03_files[0].file_name == secret,
        );

        // S05 sees its own name on the sheet, in the leaf's history and in the download.
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{s05_sheet}")).await;
        probes.check(
            "S05's sheet shows its name only",
            page.contains("bao-cao.pdf") && !page.contains("Ky luat"),
        );
        let (_, history) = app
            .get_text(&format!(
                "/tu-danh-gia/{s05_sheet}/tieu-chi/{s05_leaf}/lich-su"
            ))
            .await;
        probes.check(
            "S05's history shows its name only",
            history.contains("bao-cao.pdf") && !history.contains("Ky luat"),
        );
        let response = app
            .get(&format!("/tai-lieu/{}", s05_files[0].file_id))
            .await;
        let disposition = response
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        probes.check(
            "S05 downloads under its name",
            response.status().as_u16() == 200
                && disposition.contains("bao-cao.pdf")
                && !disposition.contains("Ky"),
        );
        // The audit rows of the links name each unit's own file.
        let filter = chiso_store::audit::AuditFilter {
            limit: 1_000,
            ..Default::default()
        };
        let rows: Vec<String> = chiso_store::audit::list(&db, &filter)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .filter(|r| r.action == "link_evidence")
            .filter_map(|r| r.new_value)
            .collect();
        probes.check(
            "audit rows name each unit's file",
            rows.len() == 2 && rows[0].starts_with(secret) && rows[1].starts_with("bao-cao.pdf"),
        );

        // S03 still sees its own name.
        app.login("nhaplieu").await;
        let (_, page) = app.get_text(&format!("/tu-danh-gia/{s03_sheet}")).await;
        probes.check(
            "S03's sheet shows its name only",
            page.contains(secret) && !page.contains("bao-cao.pdf"),
        );
        probes.assert_all();
    }
}

#[tokio::test]
async fn evidence_ids_answer_404_whether_they_exist_or_not() {
    for mut app in apps().await {
        let db = app.db.clone();
        let mut probes = Probes::new(app.backend);
        second_editor(&db).await;
        let (sheet, leaf) = sheet_and_leaf(&db, "S03", "1.1").await;
        app.login("nhaplieu").await;
        let form = Form::new().part(
            "file",
            file_part("ke-hoach.pdf", pdf("own"), "application/pdf"),
        );
        upload_to(&app, sheet, leaf, form).await;
        let file = evidence::files_for_sheet(&db, sheet).await.unwrap()[0].file_id;
        probes.check(
            "the owner downloads",
            app.get(&format!("/tai-lieu/{file}"))
                .await
                .status()
                .as_u16()
                == 200,
        );

        app.login("nhaplieu5").await;
        let existing = app.get_text(&format!("/tai-lieu/{file}")).await;
        let missing = app.get_text(&format!("/tai-lieu/{}", file + 100_000)).await;
        probes.check("another unit's file: 404", existing.0 == 404);
        probes.check("no such file: 404", missing.0 == 404);
        probes.check("the same page for both", existing.1 == missing.1);
        probes.assert_all();
    }
}
