//! The public survey form and the kiosk API over HTTP, on both backends: token links answered
//! once (also when two submissions race), closed waves, wrong links and units, malformed and
//! oversized JSON, wrong and turned-off device keys, duplicate respondent ids, the rate limit
//! per address, more than 3 expectations refused, and the counters moved by each answer.

use crate::common;

use chiso_store::surveys::{self, WaveFields};
use chiso_store::{Actor, Db, units};
use common::{TestApp, apps, apps_with, location, sipas_fields};
use serde_json::{Value, json};

pub(crate) fn operator() -> Actor {
    Actor::user(1, "Thư ký khảo sát")
}

/// An open wave over two demo units, with their short links.
pub(crate) struct Wave {
    pub id: i64,
    pub units: Vec<i64>,
    pub slugs: Vec<String>,
}

pub(crate) async fn wave_on(db: &Db, questionnaire: &str) -> Wave {
    let questionnaire_id = surveys::register_bundled(db, &operator(), questionnaire)
        .await
        .unwrap();
    let all = units::list(db).await.unwrap();
    let chosen: Vec<i64> = all.iter().take(2).map(|u| u.id).collect();
    let id = surveys::create_wave(
        db,
        &operator(),
        &WaveFields::new(questionnaire_id, "Khảo sát thử", 2025),
    )
    .await
    .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = chosen.iter().map(|&u| (u, Some(1_000))).collect();
    surveys::set_units(db, &operator(), id, &pairs)
        .await
        .unwrap();
    surveys::open_wave(db, &operator(), id).await.unwrap();
    let rows = surveys::wave_units(db, id).await.unwrap();
    let slugs = chosen
        .iter()
        .map(|u| rows.iter().find(|r| r.unit_id == *u).unwrap().slug.clone())
        .collect();
    Wave {
        id,
        units: chosen,
        slugs,
    }
}

async fn post(app: &TestApp, path: &str, fields: &[(String, String)]) -> (u16, String, String) {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app.post_form(path, &pairs).await;
    let status = response.status().as_u16();
    let to = location(&response);
    (status, to, response.text().await.unwrap_or_default())
}

async fn counted(db: &Db, wave: i64, unit: i64) -> (u64, u64) {
    let c = surveys::counts(db, wave, &[unit], None).await.unwrap();
    (c[0].counts.responses.n, c[0].flagged)
}

async fn api(app: &TestApp, key: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .request(reqwest::Method::POST, "/api/v1/responses")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_token_link_is_answered_once() {
    for mut app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        let tokens = surveys::issue_tokens(&db, &operator(), wave.id, wave.units[0], 3)
            .await
            .unwrap();
        app.reset_client().await;
        let path = format!("/ks/t/{}", tokens[0]);
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 200, "{:?}: {page}", app.backend);
        assert!(
            page.contains("name=\"c01\""),
            "{:?}: the items",
            app.backend
        );
        assert!(page.contains("<fieldset"), "{:?}: fieldsets", app.backend);
        assert!(
            !page.contains("respondent_id"),
            "{:?}: no id with a token",
            app.backend
        );

        let (status, to, _) = post(&app, &path, &sipas_fields("5")).await;
        assert_eq!(
            (status, to.as_str()),
            (303, "/ks/cam-on"),
            "{:?}",
            app.backend
        );
        let (status, thanks) = app.get_text("/ks/cam-on").await;
        assert_eq!(status, 200);
        assert!(
            thanks.contains("đã được ghi nhận"),
            "{:?}: {thanks}",
            app.backend
        );
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (1, 0));

        // The second answer is refused; the link now says so and shows no form.
        let (status, _, page) = post(&app, &path, &sipas_fields("4")).await;
        assert_eq!(status, 409, "{:?}", app.backend);
        assert!(
            page.contains("đã được trả lời"),
            "{:?}: {page}",
            app.backend
        );
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 409);
        assert!(
            page.contains("Phiếu này đã được trả lời"),
            "{:?}",
            app.backend
        );
        assert!(!page.contains("name=\"c01\""), "{:?}: no form", app.backend);
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (1, 0));

        // Two submissions racing on one token: exactly one is accepted.
        let path = format!("/ks/t/{}", tokens[1]);
        let fields = sipas_fields("3");
        let (a, b) = tokio::join!(post(&app, &path, &fields), post(&app, &path, &fields));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{:?}", app.backend);
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (2, 0));

        // An unknown token.
        let (status, page) = app.get_text("/ks/t/khongcomaphieunay").await;
        assert_eq!(status, 404, "{:?}", app.backend);
        assert!(page.contains("Không tìm thấy"), "{:?}", app.backend);
        let (status, _, _) = post(&app, "/ks/t/khongcomaphieunay", &sipas_fields("5")).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn errors_name_the_question_and_keep_the_answers() {
    for mut app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        app.reset_client().await;
        let path = format!("/ks/{}", wave.slugs[0]);
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 200, "{:?}", app.backend);
        assert!(page.contains("respondent_id"), "{:?}", app.backend);
        assert!(page.contains("name=\"expectations\""), "{:?}", app.backend);

        // c07 left blank, four expectations: nothing stored, both named.
        let mut fields: Vec<(String, String)> = sipas_fields("4")
            .into_iter()
            .filter(|(k, _)| k != "c07")
            .collect();
        for area in ["thong-tin", "thu-tuc", "phi", "thoi-gian"] {
            fields.push(("expectations".into(), area.into()));
        }
        let (status, _, page) = post(&app, &path, &fields).await;
        assert_eq!(status, 422, "{:?}", app.backend);
        // The question is named by its number, never by its column code.
        assert!(
            page.contains("Câu 7: chưa chọn câu trả lời"),
            "{:?}: {page}",
            app.backend
        );
        assert!(page.contains("chưa chọn câu trả lời"), "{:?}", app.backend);
        assert!(page.contains("tối đa 3"), "{:?}", app.backend);
        assert!(
            page.contains("value=\"4\" checked"),
            "{:?}: answers kept",
            app.backend
        );
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (0, 0));

        // Three expectations are fine, and the counters show them.
        fields.retain(|(k, v)| k != "expectations" || v != "thoi-gian");
        fields.push(("c07".into(), "2".into()));
        fields.push(("sex".into(), "nu".into()));
        let (status, to, _) = post(&app, &path, &fields).await;
        assert_eq!(
            (status, to.as_str()),
            (303, "/ks/cam-on"),
            "{:?}",
            app.backend
        );
        let c = surveys::counts(&db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        assert_eq!(c[0].counts.responses.n, 1);
        assert_eq!(c[0].counts.expectations_answered.n, 1, "{:?}", app.backend);
        assert_eq!(
            c[0].counts.expectations.iter().map(|s| s.n).sum::<u64>(),
            3,
            "{:?}",
            app.backend
        );

        // An unknown short link.
        let (status, _) = app.get_text("/ks/zzzzzzzz").await;
        assert_eq!(status, 404, "{:?}", app.backend);

        // The English switch: the same form in English.
        let (_, page) = app.get_text(&path).await;
        assert!(page.contains("/ngon-ngu"));
    }
}

#[tokio::test]
async fn a_closed_wave_takes_no_answers() {
    for mut app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        let tokens = surveys::issue_tokens(&db, &operator(), wave.id, wave.units[0], 1)
            .await
            .unwrap();
        let (_, key) =
            surveys::create_device(&db, &operator(), wave.units[0], Some(wave.id), "Kiosk")
                .await
                .unwrap();
        surveys::close_wave(&db, &operator(), wave.id)
            .await
            .unwrap();
        app.reset_client().await;
        let slug_path = format!("/ks/{}", wave.slugs[0]);
        let (status, page) = app.get_text(&slug_path).await;
        assert_eq!(status, 410, "{:?}", app.backend);
        assert!(
            page.contains("không nhận phiếu"),
            "{:?}: {page}",
            app.backend
        );
        let (status, _, _) = post(&app, &slug_path, &sipas_fields("5")).await;
        assert_eq!(status, 410);
        let token_path = format!("/ks/t/{}", tokens[0]);
        assert_eq!(app.get_text(&token_path).await.0, 410);
        assert_eq!(post(&app, &token_path, &sipas_fields("5")).await.0, 410);
        let (status, body) = api(&app, &key, json!({"answers": {"c01": 5}}).to_string()).await;
        assert_eq!(status, 409, "{:?}: {body}", app.backend);
        assert!(body["error"].as_str().unwrap().contains("not open"));
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (0, 0));
    }
}

#[tokio::test]
async fn respondent_ids_answer_once_per_unit() {
    for mut app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        app.reset_client().await;
        let path = format!("/ks/{}", wave.slugs[0]);
        let mut fields = sipas_fields("5");
        fields.push(("respondent_id".into(), "BN-0001".into()));
        assert_eq!(post(&app, &path, &fields).await.0, 303);
        let (status, _, page) = post(&app, &path, &fields).await;
        assert_eq!(status, 409, "{:?}", app.backend);
        assert!(
            page.contains("Mã người trả lời này đã gửi phiếu"),
            "{:?}",
            app.backend
        );
        // The same id at the other unit is another respondent.
        let other = format!("/ks/{}", wave.slugs[1]);
        assert_eq!(post(&app, &other, &fields).await.0, 303);
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (1, 0));
        assert_eq!(counted(&db, wave.id, wave.units[1]).await, (1, 0));

        // Through the API: 409 naming the field.
        let (_, key) =
            surveys::create_device(&db, &operator(), wave.units[0], Some(wave.id), "Quầy 1")
                .await
                .unwrap();
        let body = json!({"respondent_id": "BN-0002", "answers": {"c01": 5, "overall": 4}});
        assert_eq!(api(&app, &key, body.to_string()).await.0, 201);
        let (status, error) = api(&app, &key, body.to_string()).await;
        assert_eq!(status, 409, "{:?}", app.backend);
        assert_eq!(error["field"], "respondent_id");
        // Typed another way, it is still the same respondent.
        let typed = json!({"respondent_id": " bn－0002 ", "answers": {"c01": 4}});
        assert_eq!(api(&app, &key, typed.to_string()).await.0, 409);
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (2, 0));

        // A visitor of the public form who types a dossier number first does not take it
        // from the citizen answering at the counter.
        let mut squat = sipas_fields("1");
        squat.push(("respondent_id".into(), "HS-2026-000123".into()));
        assert_eq!(post(&app, &path, &squat).await.0, 303);
        let real = json!({"respondent_id": "HS-2026-000123", "answers": {"c01": 5}});
        assert_eq!(
            api(&app, &key, real.to_string()).await.0,
            201,
            "{:?}",
            app.backend
        );
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (4, 0));
        // Kiosk answers are people queueing at one device: identical ones all count.
        for _ in 0..2 {
            let same = json!({"answers": {"c01": 3}});
            let (status, body) = api(&app, &key, same.to_string()).await;
            assert_eq!(
                (status, body["flagged_duplicate"].as_bool()),
                (201, Some(false))
            );
        }
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (6, 0));

        // Without an id, the same answers from the same address are flagged, not counted.
        let plain = sipas_fields("2");
        assert_eq!(post(&app, &path, &plain).await.0, 303);
        assert_eq!(post(&app, &path, &plain).await.0, 303);
        assert_eq!(
            counted(&db, wave.id, wave.units[0]).await,
            (7, 1),
            "{:?}",
            app.backend
        );
    }
}

#[tokio::test]
async fn submissions_without_token_are_rate_limited_per_address() {
    // Behind a trusted proxy the address comes from X-Forwarded-For (the hop the proxy wrote:
    // what a client writes itself, to its left, changes nothing); the limit is the configured
    // one.
    for (n, mut app) in apps_with(|c| {
        c.trusted_proxies = chiso_web::client::TrustedProxies::Count(1);
        c.survey_submissions_per_minute = 7;
    })
    .await
    .into_iter()
    .enumerate()
    {
        let db = app.db.clone();
        let wave = wave_on(&db, "kiosk-2025").await;
        app.reset_client().await;
        let path = format!("/ks/{}", wave.slugs[0]);
        let limit = 7;
        let ip = format!("203.0.113.{}", 10 + n);
        let send = |value: u32| {
            let form = [
                ("_csrf".to_string(), app.csrf().to_string()),
                ("q1".to_string(), (1 + value % 5).to_string()),
            ];
            app.request(reqwest::Method::POST, &path)
                .header("x-forwarded-for", format!("10.9.9.{value}, {ip}"))
                .form(&form)
                .send()
        };
        for i in 0..limit {
            assert_eq!(
                send(i).await.unwrap().status().as_u16(),
                303,
                "{:?} #{i}",
                app.backend
            );
        }
        let refused = send(limit).await.unwrap();
        assert_eq!(refused.status().as_u16(), 429, "{:?}", app.backend);
        assert!(refused.text().await.unwrap().contains("quá nhiều phiếu"));
        // Another address is not limited.
        let other = app
            .request(reqwest::Method::POST, &path)
            .header("x-forwarded-for", "198.51.100.7")
            .form(&[("_csrf", app.csrf()), ("q1", "5")])
            .send()
            .await
            .unwrap();
        assert_eq!(other.status().as_u16(), 303);
        let (n, flagged) = counted(&db, wave.id, wave.units[0]).await;
        assert_eq!(n + flagged, u64::from(limit) + 1, "{:?}", app.backend);
    }
}

#[tokio::test]
async fn the_kiosk_api_takes_json_from_known_devices() {
    for app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "kiosk-2025").await;
        let (device_id, key) =
            surveys::create_device(&db, &operator(), wave.units[0], None, "Máy đánh giá tầng 1")
                .await
                .unwrap();

        // The questionnaire of the device's wave.
        let response = app
            .request(reqwest::Method::GET, "/api/v1/questionnaire")
            .header("authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let definition: Value = response.json().await.unwrap();
        assert_eq!(definition["wave"]["id"], wave.id);
        assert_eq!(definition["questionnaire"]["id"], "kiosk-2025");
        assert_eq!(definition["questionnaire"]["overall"], "q1");
        assert_eq!(
            definition["questionnaire"]["scale"]
                .as_array()
                .unwrap()
                .len(),
            5
        );

        // Accepted: 201 with the id, the counters moved.
        let (status, body) = api(
            &app,
            &key,
            json!({"overall": 5, "comment": "Nhanh gọn", "channel": "kiosk"}).to_string(),
        )
        .await;
        assert_eq!(status, 201, "{:?}: {body}", app.backend);
        assert_eq!(body["status"], "accepted");
        assert!(body["id"].as_i64().unwrap() > 0);
        let (status, _) = api(&app, &key, json!({"answers": {"q1": "4"}}).to_string()).await;
        assert_eq!(status, 201);
        let c = surveys::counts(&db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        assert_eq!(c[0].counts.responses.n, 2, "{:?}", app.backend);
        assert_eq!(c[0].counts.comments, 1);

        // Faults: malformed JSON, unknown item, value off the scale, wrong unit, oversized.
        assert_eq!(api(&app, &key, "{\"answers\": {").await.0, 400);
        assert_eq!(api(&app, &key, "[1, 2]").await.0, 400);
        let (status, body) = api(&app, &key, json!({"answers": {"c99": 5}}).to_string()).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("answers.c99")));
        let (status, body) = api(&app, &key, json!({"answers": {"q1": 9}}).to_string()).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("answers.q1")));
        let (status, body) = api(&app, &key, json!({"answers": {}}).to_string()).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = api(
            &app,
            &key,
            json!({"unit_code": "KHONG-CO", "overall": 5}).to_string(),
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("unit_code")));
        let huge = json!({"overall": 5, "comment": "x".repeat(100_000)}).to_string();
        let (status, body) = api(&app, &key, huge).await;
        assert_eq!(status, 413, "{:?}: {body}", app.backend);
        assert!(body["error"].is_string());

        // Keys: missing, wrong, turned off.
        let response = app
            .request(reqwest::Method::POST, "/api/v1/responses")
            .json(&json!({"overall": 5}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(
            api(&app, "khongphaikhoa", json!({"overall": 5}).to_string())
                .await
                .0,
            401
        );
        surveys::set_device_active(&db, &operator(), device_id, false)
            .await
            .unwrap();
        let (status, body) = api(&app, &key, json!({"overall": 5}).to_string()).await;
        assert_eq!(status, 403, "{:?}: {body}", app.backend);
        assert_eq!(c[0].counts.responses.n, 2);
        let after = surveys::counts(&db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        assert_eq!(after[0].counts.responses.n, 2, "{:?}", app.backend);

        // A unit outside the wave, for a device of that unit.
        let outsider = units::list(&db).await.unwrap()[3].id;
        let (_, outsider_key) =
            surveys::create_device(&db, &operator(), outsider, Some(wave.id), "Lạc")
                .await
                .unwrap();
        let (status, body) = api(&app, &outsider_key, json!({"overall": 5}).to_string()).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("unit_code")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn concurrent_api_submissions_are_all_counted() {
    for app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        let (_, key) =
            surveys::create_device(&db, &operator(), wave.units[0], Some(wave.id), "Một cửa")
                .await
                .unwrap();
        let mut tasks = Vec::new();
        for i in 0..64 {
            let client = reqwest::Client::new();
            let url = app.url("/api/v1/responses");
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                let body =
                    json!({"respondent_id": format!("R{}", i % 40), "answers": {"c01": 1 + i % 5}});
                let response = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                response.status().as_u16()
            }));
        }
        let mut created = 0;
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap() {
                201 => created += 1,
                409 => conflicts += 1,
                other => panic!("{:?}: unexpected {other}", app.backend),
            }
        }
        assert_eq!((created, conflicts), (40, 24), "{:?}", app.backend);
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (40, 0));
    }
}

/// The leader survey's form: ld16 asks how often, so its answers read "Không có … Thường
/// xuyên" while the other items keep the scale's "Rất tốt … Kém"; the levels are the
/// province's and the districts'.
#[tokio::test]
async fn an_item_shows_its_own_answer_labels() {
    for mut app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "leader-2020").await;
        app.reset_client().await;
        let (status, page) = app.get_text(&format!("/ks/{}", wave.slugs[0])).await;
        assert_eq!(status, 200, "{:?}: {page}", app.backend);
        let block = |code: &str| {
            let start = page
                .find(&format!("name=\"{code}\""))
                .unwrap_or_else(|| panic!("{code} on the form"));
            let end = page[start..]
                .find("</fieldset>")
                .map_or(page.len(), |e| start + e);
            page[start..end].to_string()
        };
        let ld16 = block("ld16");
        for label in ["Không có", "Hiếm khi", "Thỉnh thoảng", "Thường xuyên"] {
            assert!(ld16.contains(label), "{:?}: {label} in {ld16}", app.backend);
        }
        assert!(!ld16.contains("Rất tốt"), "{:?}: {ld16}", app.backend);
        assert!(block("ld15").contains("Rất tốt"), "{:?}", app.backend);
        assert!(page.contains("Cấp huyện"), "{:?}", app.backend);
        assert!(!page.contains("Cấp xã"), "{:?}", app.backend);
    }
}

/// A device request in a language (`Accept-Language`), answered as JSON.
async fn api_in(app: &TestApp, key: &str, lang: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app
        .request(reqwest::Method::POST, "/api/v1/responses")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json");
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    let response = request.body(body.to_string()).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The device API's refusals (docs/formats.md §11): a stable `code`, the `field` of the
/// request at fault, `message` in Vietnamese unless the device asks for English, `error` in
/// English.
#[tokio::test]
async fn kiosk_refusals_carry_a_code_the_field_and_a_message_in_the_devices_language() {
    for app in apps().await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        let (_, key) = surveys::create_device(&db, &operator(), wave.units[0], None, "Quầy 2")
            .await
            .unwrap();

        // An answer off the scale: the item's field, its number in the message.
        let off_scale = json!({"answers": {"c01": 5, "c05": 9}});
        let (status, body) = api_in(&app, &key, None, off_scale.clone()).await;
        assert_eq!(status, 422, "{:?}: {body}", app.backend);
        assert_eq!(body["code"], "answer", "{body}");
        assert_eq!(body["field"], "answers.c05", "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("Câu 5: giá trị 9"), "{message}");
        let page = format!("<p>{message}</p>");
        let found = crate::vietnamese_pages::findings("api", &page);
        assert!(found.is_empty(), "{found:?}");
        assert!(
            body["error"].as_str().unwrap().starts_with("Question 5"),
            "{body}"
        );
        let (_, body) = api_in(&app, &key, Some("en-US,en;q=0.9"), off_scale).await;
        assert_eq!(body["message"], body["error"], "{body}");
        assert_eq!(body["field"], "answers.c05");

        // The body, the key, the unit: each with its code.
        let (status, body) = api_in(&app, &key, None, json!({"answers": {"c01": 5}, "x": 1})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("malformed_json"))
        );
        assert!(!body["message"].as_str().unwrap().contains("unknown field"));
        let (status, body) = api_in(&app, "sai", None, json!({"answers": {"c01": 5}})).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unknown_key")));
        let (status, body) = api_in(
            &app,
            &key,
            None,
            json!({"unit_code": "KHONG-CO", "answers": {"c01": 5}}),
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("unknown_unit")));
        assert_eq!(body["field"], "unit_code");
        assert!(body["message"].as_str().unwrap().contains("KHONG-CO"));

        // A respondent id answered twice: the store's refusal, named.
        let once = json!({"respondent_id": "HS-9", "answers": {"c01": 4}});
        assert_eq!(api_in(&app, &key, None, once.clone()).await.0, 201);
        let (status, body) = api_in(&app, &key, Some("vi"), once).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "duplicate_respondent");
        assert_eq!(body["field"], "respondent_id");
        assert_eq!(
            body["message"],
            "Mã người trả lời này đã có phiếu cho đơn vị này."
        );
    }
}

/// A wave's last day is read on the application's clock (Vietnam dates): the form takes
/// answers on it, and the day after, when the clock moves on, the form and the submission are
/// refused without anyone closing the wave.
#[tokio::test]
async fn a_wave_past_its_last_day_takes_no_answers_on_the_clock() {
    let clock = chiso_web::app::Clock::fixed(chrono::Utc::now());
    for mut app in apps_with(|config| config.clock = clock.clone()).await {
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        let today = clock.today();
        chiso_store::with_db!(&db, pool => sqlx::query("UPDATE waves SET closes_on = $1 WHERE id = $2")
            .bind(today).bind(wave.id).execute(pool).await.map(|_| ()))
        .unwrap();
        app.reset_client().await;
        let path = format!("/ks/{}", wave.slugs[0]);
        assert_eq!(
            app.get_text(&path).await.0,
            200,
            "{:?}: its last day",
            app.backend
        );
        clock.set(chrono::Utc::now() + chrono::Duration::days(1));
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 410, "{:?}: the day after", app.backend);
        assert!(page.contains("không nhận phiếu"), "{:?}", app.backend);
        assert_eq!(
            post(&app, &path, &sipas_fields("5")).await.0,
            410,
            "{:?}",
            app.backend
        );
        assert_eq!(counted(&db, wave.id, wave.units[0]).await, (0, 0));
        clock.set(chrono::Utc::now());
    }
}

/// The SIPAS 2017 form asks each item as "Mức độ hài lòng về …" under the lead-in, numbers the
/// items instead of showing their codes, and asks the perception questions about the visit in
/// their own section; a perception answer is counted per option, outside the index.
#[tokio::test]
async fn the_citizen_form_asks_satisfaction_and_perceptions_in_plain_words() {
    for mut app in apps().await {
        let backend = app.backend;
        let db = app.db.clone();
        let wave = wave_on(&db, "sipas-2017").await;
        app.reset_client().await;
        let path = format!("/ks/{}", wave.slugs[0]);
        let (status, page) = app.get_text(&path).await;
        assert_eq!(status, 200, "{backend:?}: {page}");
        for expected in [
            "id=\"survey-lead-in\"",
            "Mức độ hài lòng về nơi ngồi chờ có đủ chỗ ngồi",
            "Mức độ hài lòng về TTHC được niêm yết công khai đầy đủ",
            "Câu 1.</span>",
            "id=\"perceptions\"",
            "Ông/Bà đã phải đi lại bao nhiêu lần để giải quyết hồ sơ này?",
        ] {
            assert!(page.contains(expected), "{backend:?}: {expected}");
        }
        // Codes stay in the field names, never in the words.
        assert!(!page.contains(">c01<"), "{backend:?}");
        assert!(!page.contains("c01</span>"), "{backend:?}");
        // The visit's questions come before the respondent's own.
        let visit = page.find("id=\"perceptions\"").unwrap();
        let about = page.find("Thông tin về Ông/Bà").unwrap();
        assert!(visit < about, "{backend:?}");

        let mut fields = sipas_fields("4");
        fields.push(("trips".into(), "2".into()));
        fields.push(("extra_money".into(), "khong".into()));
        let (status, to, _) = post(&app, &path, &fields).await;
        assert_eq!((status, to.as_str()), (303, "/ks/cam-on"), "{backend:?}");
        let questionnaire = chiso_survey::questionnaire::bundled("sipas-2017").unwrap();
        let trips = questionnaire
            .demographics
            .iter()
            .position(|q| q.code == "trips")
            .unwrap();
        let counts = surveys::counts(&db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        let per_option: Vec<u64> = counts[0].counts.demographics[trips]
            .iter()
            .map(|s| s.n)
            .collect();
        assert_eq!(per_option, [0, 1, 0, 0], "{backend:?}");
        // Outside the index: the satisfied rate is the items' alone.
        let result = chiso_survey::index_from_counts(&questionnaire, &counts[0].counts);
        let perception = result
            .demographics
            .iter()
            .find(|d| d.code == "trips")
            .unwrap();
        assert!(perception.perception, "{backend:?}");
        assert_eq!(perception.options[1].count, 1, "{backend:?}");
        // The wave's results report it apart, as a share of those who answered.
        app.login("thuongtruc").await;
        let (status, body) = app
            .get_text(&format!("/khao-sat/dot/{}/ket-qua", wave.id))
            .await;
        assert_eq!(status, 200, "{backend:?}");
        let part = &body[body.find("id=\"perceptions\"").expect("the perceptions")..];
        assert!(
            part.contains("Ông/Bà đã phải đi lại bao nhiêu lần để giải quyết hồ sơ này?"),
            "{backend:?}"
        );
        assert!(
            part.contains("<td>2 lần</td><td class=\"num\">1</td><td class=\"num\">100,00</td>"),
            "{backend:?}: {part}"
        );
    }
}
