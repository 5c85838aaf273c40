//! The authorization matrix: every role (and an anonymous visitor) against every route, with
//! the expected allow or deny written out per row, on both backends. "Allowed" means the
//! server did not refuse (not 403, no redirect to the login page, no server error); "denied"
//! means 403 for signed-in roles. Anonymous visitors are sent to the login page everywhere.
//!
//! The rows are the specification: a new route without a row here is a test failure (see
//! `every_route_has_a_row`).

use crate::common;

use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, campaigns, frameworks, units};
use common::{TestApp, apps, location};

/// The roles in the order they are tried; the administrator goes last, because its allowed
/// writes change things (for example deactivating the matrix's throwaway account).
const ROLES: [(&str, &str); 6] = [
    ("xemketqua", "viewer"),
    ("nhaplieu", "unit_editor"),
    ("lanhdao", "unit_leader"),
    ("thamdinh", "appraiser"),
    ("thuongtruc", "secretariat"),
    ("admin", "admin"),
];

const EVERYONE: &[&str] = &[
    "viewer",
    "unit_editor",
    "unit_leader",
    "appraiser",
    "secretariat",
    "admin",
];
const STAFF: &[&str] = &["secretariat", "admin"];
const ADMIN: &[&str] = &["admin"];
const COUNCIL: &[&str] = &["appraiser", "secretariat", "admin"];
const APPRAISER: &[&str] = &["appraiser"];
const PROGRESS: &[&str] = &["viewer", "secretariat", "admin"];
/// Readers of a survey's single responses: the secretariat every unit's, a unit's staff their
/// own units' (`chiso_domain::access::single_responses`; per unit in tests/survey_microdata.rs).
/// A plan task's lead unit's staff (the demo accounts' Sở Tư pháp).
const TASK_UNIT: &[&str] = &["unit_editor", "unit_leader"];
/// Who moves that task and opens its files: its lead's staff and the secretariat.
const TASK_MOVERS: &[&str] = &["unit_editor", "unit_leader", "secretariat", "admin"];
const RESPONSES: &[&str] = &["unit_editor", "unit_leader", "secretariat", "admin"];

/// (method, path with placeholders, roles allowed)
const MATRIX: &[(&str, &str, &[&str])] = &[
    ("GET", "/", EVERYONE),
    ("GET", "/doi-mat-khau", EVERYONE),
    ("GET", "/nhat-ky", STAFF),
    ("GET", "/nhat-ky.csv", STAFF),
    ("GET", "/nhat-ky.xlsx", STAFF),
    // Notifications: everyone's own (another's notice answers 404, tests/notifications.rs).
    ("GET", "/thong-bao", EVERYONE),
    ("GET", "/thong-bao/chuong", EVERYONE),
    ("GET", "/thong-bao/{id}", EVERYONE),
    ("POST", "/thong-bao/da-doc", EVERYONE),
    // Units
    ("GET", "/don-vi", EVERYONE),
    ("GET", "/don-vi/{unit}", EVERYONE),
    ("GET", "/don-vi/moi", STAFF),
    ("GET", "/don-vi/xuat.xlsx", STAFF),
    ("POST", "/don-vi", STAFF),
    ("GET", "/don-vi/{unit}/sua", STAFF),
    ("POST", "/don-vi/{unit}/sua", STAFF),
    ("GET", "/don-vi/hop-nhat", STAFF),
    ("POST", "/don-vi/hop-nhat", STAFF),
    ("GET", "/don-vi/nhap", STAFF),
    ("POST", "/don-vi/nhap", STAFF),
    ("GET", "/don-vi/mau.xlsx", STAFF),
    // Frameworks
    ("GET", "/bo-tieu-chi", EVERYONE),
    ("GET", "/bo-tieu-chi/{framework}", EVERYONE),
    ("GET", "/bo-tieu-chi/{framework}/csv", EVERYONE),
    ("GET", "/bo-tieu-chi/{framework}/xlsx", EVERYONE),
    ("GET", "/bo-tieu-chi/nhap", STAFF),
    ("POST", "/bo-tieu-chi/nhap", STAFF),
    ("GET", "/bo-tieu-chi/mau.xlsx", STAFF),
    ("GET", "/bo-tieu-chi/{framework}/thay-the", STAFF),
    ("POST", "/bo-tieu-chi/{framework}/thay-the", STAFF),
    ("POST", "/bo-tieu-chi/{framework}/phien-ban-moi", STAFF),
    // Campaigns
    ("GET", "/dot-danh-gia", EVERYONE),
    ("GET", "/dot-danh-gia/{campaign}", EVERYONE),
    ("GET", "/dot-danh-gia/moi", STAFF),
    ("GET", "/dot-danh-gia/vong-tham-dinh", STAFF),
    ("POST", "/dot-danh-gia", STAFF),
    ("GET", "/dot-danh-gia/{campaign}/sua", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/sua", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/bo-tieu-chi", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/don-vi", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/trang-thai", STAFF),
    // Users
    ("GET", "/nguoi-dung", ADMIN),
    ("GET", "/nguoi-dung/moi", ADMIN),
    ("POST", "/nguoi-dung", ADMIN),
    ("GET", "/nguoi-dung/{user}", ADMIN),
    ("POST", "/nguoi-dung/{user}/ho-so", ADMIN),
    ("POST", "/nguoi-dung/{user}/vai-tro", ADMIN),
    ("POST", "/nguoi-dung/{user}/vai-tro/{role}/xoa", ADMIN),
    ("POST", "/nguoi-dung/{user}/vo-hieu-hoa", ADMIN),
    ("POST", "/nguoi-dung/{user}/kich-hoat", ADMIN),
    ("POST", "/nguoi-dung/{user}/dat-lai-mat-khau", ADMIN),
    // Self-assessment: rows added by the self-assessment screens.
    // `{sheet}`, `{node}`, `{link}` and `{file}` have no target here: a role that could never
    // take the action is refused (403) before the ids are read, an allowed role gets 404.
    // Which sheet and file a user may read or change is tested per sheet in
    // tests/assessment.rs (another unit's sheet, drafts hidden from appraisers, publication).
    ("GET", "/tu-danh-gia", &["unit_editor", "unit_leader"]),
    ("GET", "/tu-danh-gia/{sheet}", EVERYONE),
    // Who reads which sheet's workbook is the sheet's own check (tests/it/workbooks.rs).
    ("GET", "/tu-danh-gia/{sheet}/bang-diem.xlsx", EVERYONE),
    (
        "POST",
        "/tu-danh-gia/{sheet}/tieu-chi/{node}",
        &["unit_editor", "unit_leader"],
    ),
    (
        "POST",
        "/tu-danh-gia/{sheet}/tieu-chi/{node}/tai-lieu",
        &["unit_editor", "unit_leader"],
    ),
    (
        "POST",
        "/tu-danh-gia/{sheet}/tieu-chi/{node}/lien-ket",
        &["unit_editor", "unit_leader"],
    ),
    (
        "POST",
        "/tu-danh-gia/{sheet}/lien-ket/{link}/xoa",
        &["unit_editor", "unit_leader"],
    ),
    (
        "GET",
        "/tu-danh-gia/{sheet}/tieu-chi/{node}/lich-su",
        EVERYONE,
    ),
    ("POST", "/tu-danh-gia/{sheet}/nop", &["unit_leader"]),
    ("POST", "/tu-danh-gia/{sheet}/rut", &["unit_leader"]),
    (
        "POST",
        "/tu-danh-gia/{sheet}/nop-giai-trinh",
        &["unit_leader"],
    ),
    ("GET", "/tai-lieu/{file}", EVERYONE),
    // Appraisal, progress, results: rows added by the appraisal screens.
    // The council's list and sheets: appraisers and staff; saving a leaf: appraisers only.
    // `{sheet}` and `{node}` have no target here: the role is refused (403) before the ids
    // are read, an allowed role gets 404.
    ("GET", "/tham-dinh", COUNCIL),
    ("GET", "/tham-dinh/{sheet}", COUNCIL),
    ("POST", "/tham-dinh/{sheet}/tieu-chi/{node}", APPRAISER),
    // Accepting the unit's points of an area or a whole sheet: appraisers only.
    ("POST", "/tham-dinh/{sheet}/chap-nhan", APPRAISER),
    // The secretariat's steps on one sheet: returning it, moving it to the next round.
    ("GET", "/tham-dinh/{sheet}/tra-lai", STAFF),
    ("POST", "/tham-dinh/{sheet}/tra-lai", STAFF),
    ("POST", "/tham-dinh/{sheet}/chuyen-vong-sau", STAFF),
    // Round control, extensions, finalize, publish: staff (an empty form is refused with 422).
    // The checklist before a step (without a step named: 404 for staff).
    ("GET", "/dot-danh-gia/{campaign}/kiem-tra", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/mo-vong", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/dong-vong", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/gia-han", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/chot-ket-qua", STAFF),
    ("POST", "/dot-danh-gia/{campaign}/cong-bo", STAFF),
    // The progress dashboard: staff, and viewers read-only.
    ("GET", "/dot-danh-gia/{campaign}/tien-do", PROGRESS),
    ("GET", "/dot-danh-gia/{campaign}/tien-do.xlsx", PROGRESS),
    // Results of a campaign not yet published (the matrix's is a draft): staff only; after
    // publication every role (tested in tests/appraisal.rs).
    ("GET", "/dot-danh-gia/{campaign}/ket-qua", STAFF),
    ("GET", "/dot-danh-gia/{campaign}/ket-qua.xlsx", STAFF),
    ("GET", "/dot-danh-gia/{campaign}/tong-quan", STAFF),
    // A unit's results and what it takes: the same (the matrix's unit has no page: 404 for
    // staff; after publication every role, tested in tests/appraisal.rs).
    (
        "GET",
        "/dot-danh-gia/{campaign}/ket-qua/don-vi/{unit}",
        STAFF,
    ),
    (
        "GET",
        "/dot-danh-gia/{campaign}/ket-qua/don-vi/{unit}/muc-tieu",
        STAFF,
    ),
    (
        "GET",
        "/dot-danh-gia/{campaign}/ket-qua/don-vi/{unit}/so-sanh",
        STAFF,
    ),
    // PDF reports (docs/method.md §10): who may read the results (the matrix's campaign is a
    // draft: staff, answered 404); the announcement is the staff's in any case. A report job is
    // its owner's only: `{job}` names none here, so every role gets 404 (tests/reports.rs).
    ("POST", "/dot-danh-gia/{campaign}/ket-qua/bao-cao", STAFF),
    ("GET", "/dot-danh-gia/{campaign}/ket-qua/thong-bao", STAFF),
    (
        "POST",
        "/dot-danh-gia/{campaign}/ket-qua/don-vi/{unit}/bao-cao",
        STAFF,
    ),
    ("GET", "/bao-cao/{job}", EVERYONE),
    ("GET", "/bao-cao/{job}/tien-do", EVERYONE),
    ("GET", "/bao-cao/{job}/tep", EVERYONE),
    ("GET", "/dot-danh-gia/{campaign}/nhat-ky.csv", STAFF),
    // Surveys: staff screens. Reading needs ViewSetup (every role, viewers included),
    // every change ManageCampaigns. `{wave}`, `{device}`, `{service}`, `{job}` and `{node}` have no target
    // here: ids are parsed after the permission check, so a refused role gets 403 and an
    // allowed one 404. Per-wave behaviour is tested in tests/surveys.rs.
    ("GET", "/khao-sat", EVERYONE),
    ("POST", "/khao-sat/phieu", STAFF),
    ("POST", "/khao-sat/dot", STAFF),
    ("GET", "/khao-sat/dot/{wave}", EVERYONE),
    ("POST", "/khao-sat/dot/{wave}/don-vi", STAFF),
    ("POST", "/khao-sat/dot/{wave}/mo", STAFF),
    ("POST", "/khao-sat/dot/{wave}/dong", STAFF),
    ("GET", "/khao-sat/dot/{wave}/don-vi/{unit}", EVERYONE),
    ("POST", "/khao-sat/dot/{wave}/don-vi/{unit}/xoa", STAFF),
    ("POST", "/khao-sat/dot/{wave}/don-vi/{unit}/ma", STAFF),
    ("POST", "/khao-sat/dot/{wave}/don-vi/{unit}/thiet-bi", STAFF),
    ("POST", "/khao-sat/dot/{wave}/don-vi/{unit}/dich-vu", STAFF),
    (
        "POST",
        "/khao-sat/dot/{wave}/don-vi/{unit}/dich-vu/{service}/xoa",
        STAFF,
    ),
    (
        "POST",
        "/khao-sat/dot/{wave}/don-vi/{unit}/thiet-bi/{device}/trang-thai",
        STAFF,
    ),
    ("GET", "/khao-sat/dot/{wave}/phieu-giay", STAFF),
    ("POST", "/khao-sat/dot/{wave}/phieu-giay", STAFF),
    ("POST", "/khao-sat/dot/{wave}/nhap-tep", STAFF),
    ("GET", "/khao-sat/dot/{wave}/mau.xlsx", STAFF),
    ("GET", "/khao-sat/nhap/{job}", STAFF),
    ("GET", "/khao-sat/nhap/{job}/tien-do", STAFF),
    ("GET", "/khao-sat/dot/{wave}/ket-qua", EVERYONE),
    ("GET", "/khao-sat/dot/{wave}/ket-qua.xlsx", EVERYONE),
    // Single responses and their export: not for viewers and appraisers (they read the
    // results); excluding one from the index and restoring it: staff.
    ("GET", "/khao-sat/dot/{wave}/phieu-tra-loi", RESPONSES),
    (
        "GET",
        "/khao-sat/dot/{wave}/phieu-tra-loi/{response}",
        RESPONSES,
    ),
    (
        "POST",
        "/khao-sat/dot/{wave}/phieu-tra-loi/{response}/loai",
        STAFF,
    ),
    (
        "POST",
        "/khao-sat/dot/{wave}/phieu-tra-loi/{response}/khoi-phuc",
        STAFF,
    ),
    ("GET", "/khao-sat/dot/{wave}/du-lieu.csv", RESPONSES),
    ("GET", "/khao-sat/dot/{wave}/du-lieu.xlsx", RESPONSES),
    ("GET", "/khao-sat/dot/{wave}/du-lieu.json", RESPONSES),
    ("GET", "/khao-sat/dot/{wave}/bo-ma.csv", RESPONSES),
    ("GET", "/khao-sat/dot/{wave}/bo-ma.json", RESPONSES),
    ("GET", "/khao-sat/chi-so-cchc/{campaign}", EVERYONE),
    ("POST", "/khao-sat/chi-so-cchc/{campaign}/anh-xa", STAFF),
    (
        "POST",
        "/khao-sat/chi-so-cchc/{campaign}/anh-xa-theo-phieu",
        STAFF,
    ),
    (
        "POST",
        "/khao-sat/chi-so-cchc/{campaign}/anh-xa/{node}/xoa",
        STAFF,
    ),
    ("POST", "/khao-sat/chi-so-cchc/{campaign}/cap-nhat", STAFF),
    // National indices (docs/method.md §5.8): importing, its preview and history are the
    // secretariat's; `{upload}` names no held file here (404 for staff), `{version}` and
    // `{target}` no row. Targets and agencies are read by every role, changed by staff.
    ("GET", "/chi-so-quoc-gia/nhap", STAFF),
    ("POST", "/chi-so-quoc-gia/nhap", STAFF),
    ("GET", "/chi-so-quoc-gia/nhap/{upload}", STAFF),
    ("POST", "/chi-so-quoc-gia/nhap/{upload}/xac-nhan", STAFF),
    ("POST", "/chi-so-quoc-gia/nhap/{upload}/huy", STAFF),
    ("GET", "/chi-so-quoc-gia/nhap-lieu", STAFF),
    ("GET", "/chi-so-quoc-gia/nhap-lieu/{version}", STAFF),
    ("GET", "/chi-so-quoc-gia/muc-tieu", EVERYONE),
    ("POST", "/chi-so-quoc-gia/muc-tieu", STAFF),
    ("GET", "/chi-so-quoc-gia/muc-tieu/{target}/sua", STAFF),
    ("POST", "/chi-so-quoc-gia/muc-tieu/{target}/sua", STAFF),
    ("POST", "/chi-so-quoc-gia/muc-tieu/{target}/xoa", STAFF),
    ("GET", "/chi-so-quoc-gia/co-quan-phu-trach", EVERYONE),
    (
        "GET",
        "/chi-so-quoc-gia/co-quan-phu-trach/{index}",
        EVERYONE,
    ),
    (
        "GET",
        "/chi-so-quoc-gia/co-quan-phu-trach/{index}/{structure}/{item}",
        STAFF,
    ),
    (
        "POST",
        "/chi-so-quoc-gia/co-quan-phu-trach/{index}/{structure}/{item}",
        STAFF,
    ),
    // National indices (docs/method.md §5.7): published figures, read by every signed-in role;
    // the leadership page's PDF too. `{index}` names no index here: 404 for everyone
    // (tests/indices_pages.rs).
    ("GET", "/chi-so-quoc-gia", EVERYONE),
    ("GET", "/chi-so-quoc-gia/tong-quan", EVERYONE),
    ("POST", "/chi-so-quoc-gia/tong-quan/bao-cao", EVERYONE),
    ("GET", "/chi-so-quoc-gia/{index}", EVERYONE),
    ("GET", "/chi-so-quoc-gia/{index}/{year}", EVERYONE),
    // Improvement plans (docs/method.md §7.9): `{plan}` is the demo province's plan, read by
    // everyone and edited by the secretariat; `{task}` is its task led by the demo accounts' Sở
    // Tư pháp (coordinated by the Sở Nội vụ): its lead's staff report and move it, the
    // secretariat moves it too, and its files are for both. An empty form names no unit, so
    // creating a plan without one is the secretariat's (a unit's staff name their unit).
    ("GET", "/ke-hoach", EVERYONE),
    ("POST", "/ke-hoach", STAFF),
    ("POST", "/ke-hoach/du-thao", STAFF),
    ("POST", "/ke-hoach/nhap", STAFF),
    ("GET", "/nhiem-vu", EVERYONE),
    ("GET", "/ke-hoach/{plan}", EVERYONE),
    ("POST", "/ke-hoach/{plan}", STAFF),
    ("POST", "/ke-hoach/{plan}/muc-tieu", STAFF),
    ("POST", "/ke-hoach/{plan}/nhom", STAFF),
    ("POST", "/ke-hoach/{plan}/gop", STAFF),
    ("POST", "/ke-hoach/{plan}/nhiem-vu", STAFF),
    ("GET", "/ke-hoach/{plan}/nhiem-vu/{task}", EVERYONE),
    ("GET", "/ke-hoach/{plan}/nhiem-vu/{task}/sua", STAFF),
    ("POST", "/ke-hoach/{plan}/nhiem-vu/{task}/sua", STAFF),
    ("POST", "/ke-hoach/{plan}/nhiem-vu/{task}/xoa", STAFF),
    (
        "POST",
        "/ke-hoach/{plan}/nhiem-vu/{task}/chuyen",
        TASK_MOVERS,
    ),
    (
        "POST",
        "/ke-hoach/{plan}/nhiem-vu/{task}/bao-cao",
        TASK_UNIT,
    ),
    (
        "GET",
        "/ke-hoach/{plan}/nhiem-vu/{task}/tep/{file}",
        TASK_MOVERS,
    ),
    ("GET", "/ke-hoach/{plan}/tong-quan", EVERYONE),
    ("GET", "/ke-hoach/{plan}/ky-bao-cao", EVERYONE),
    ("POST", "/ke-hoach/{plan}/ky-bao-cao", STAFF),
    ("GET", "/ke-hoach/{plan}/ky-bao-cao/{period}", EVERYONE),
    ("POST", "/ke-hoach/{plan}/ky-bao-cao/{period}", STAFF),
    (
        "GET",
        "/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx",
        EVERYONE,
    ),
    ("GET", "/ke-hoach/{plan}/phu-luc.xlsx", EVERYONE),
    ("POST", "/ke-hoach/{plan}/phu-luc.pdf", EVERYONE),
    (
        "POST",
        "/ke-hoach/{plan}/ky-bao-cao/{period}/bao-cao",
        EVERYONE,
    ),
    ("GET", "/ke-hoach/{plan}/thi-dua.xlsx", EVERYONE),
];

/// The ids the placeholders stand for in one app: a department, a bundled framework, a
/// draft campaign, a throwaway account with one role.
struct Targets {
    unit: i64,
    framework: i64,
    campaign: i64,
    user: i64,
    role: i64,
    plan: i64,
    task: i64,
    period: String,
}

async fn targets(app: &TestApp) -> Targets {
    let actor = Actor::system("matrix");
    let unit = units::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == "S05")
        .unwrap()
        .id;
    let framework = frameworks::list(&app.db).await.unwrap()[0].id;
    let campaign = campaigns::create(
        &app.db,
        &actor,
        &campaigns::CampaignFields {
            year: 2030,
            title: "Ma trận phân quyền".into(),
            appraisal_rounds: 1,
            self_assessment_deadline: None,
            explanation_deadline: None,
            round_deadlines: vec![None],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await
    .unwrap();
    let user = users::create(
        &app.db,
        &actor,
        &NewUser {
            username: "ma-tran".into(),
            full_name: "Tài khoản ma trận".into(),
            email: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    users::add_role(
        &app.db,
        &actor,
        user,
        chiso_domain::access::Role::Viewer,
        None,
        &[],
    )
    .await
    .unwrap();
    let role = users::roles(&app.db, user).await.unwrap()[0].id;
    let plan = chiso_store::plans::list_plans(&app.db).await.unwrap()[0].id;
    let justice = units::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == "S03")
        .unwrap()
        .id;
    let task = chiso_store::plans::tasks(&app.db, plan)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.lead_unit_id == justice)
        .unwrap()
        .id;
    let period = chiso_store::plans::periods(&app.db, plan).await.unwrap()[0]
        .period
        .as_code();
    Targets {
        plan,
        task,
        period,
        unit,
        framework,
        campaign,
        user,
        role,
    }
}

fn fill(path: &str, t: &Targets) -> String {
    path.replace("{unit}", &t.unit.to_string())
        .replace("{framework}", &t.framework.to_string())
        .replace("{campaign}", &t.campaign.to_string())
        .replace("{user}", &t.user.to_string())
        .replace("{role}", &t.role.to_string())
        .replace("{plan}", &t.plan.to_string())
        .replace("{task}", &t.task.to_string())
        .replace("{period}", &t.period)
}

async fn send(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    match method {
        "GET" => app.get(path).await,
        // An empty form: enough to reach the permission check, never a valid change.
        _ => app.post_form(path, &[]).await,
    }
}

#[tokio::test]
async fn every_role_against_every_route() {
    for mut app in apps().await {
        let targets = targets(&app).await;
        let mut failures = Vec::new();
        for (username, role) in ROLES {
            app.login(username).await;
            for (method, pattern, allowed) in MATRIX {
                let path = fill(pattern, &targets);
                let response = send(&app, method, &path).await;
                let status = response.status().as_u16();
                let to_login = location(&response).starts_with("/dang-nhap");
                let expect_allowed = allowed.contains(&role);
                let ok = if expect_allowed {
                    status != 403 && status < 500 && !to_login
                } else {
                    status == 403
                };
                if !ok {
                    failures.push(format!(
                        "{role:<12} {method:<4} {pattern:<45} got {status}{} — expected {}",
                        if to_login { " (to login)" } else { "" },
                        if expect_allowed { "allowed" } else { "403" }
                    ));
                }
            }
        }
        // Anonymous: every route sends to the login page, nothing is shown or changed.
        app.reset_client().await;
        for (method, pattern, _) in MATRIX {
            let response = send(&app, method, &fill(pattern, &targets)).await;
            if !(response.status().as_u16() == 303 && location(&response).starts_with("/dang-nhap"))
            {
                failures.push(format!(
                    "anonymous    {method:<4} {pattern:<45} got {}",
                    response.status().as_u16()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{:?}: the matrix is not honoured:\n{}",
            app.backend,
            failures.join("\n")
        );
    }
}

/// One policy for the ids of an address: with every id malformed (`abc`), a role that may not
/// take the action is refused (403) whatever the id, and a role that may gets the not-found page
/// in Vietnamese, in the site's frame, never axum's "Invalid URL: Cannot parse …".
#[tokio::test]
async fn malformed_ids_are_refused_after_the_role_and_in_vietnamese() {
    for mut app in apps().await {
        let mut failures = Vec::new();
        for (username, role) in ROLES {
            app.login(username).await;
            for (method, pattern, allowed) in MATRIX {
                if !pattern.contains('{') {
                    continue;
                }
                let path = malformed(pattern);
                let response = send(&app, method, &path).await;
                let status = response.status().as_u16();
                let body = response.text().await.unwrap();
                // Who may read results depends on the campaign (published: everyone), so an
                // id that names no campaign is not found for every role.
                // Likewise a plan: the province's is everyone's to read, a unit's its staff's.
                let by_object = pattern.contains("/ket-qua")
                    || pattern.ends_with("/tong-quan")
                    || pattern.starts_with("/ke-hoach/{plan}");
                let expected = if allowed.contains(&role) || by_object {
                    404
                } else {
                    403
                };
                let english = ["Invalid URL", "Cannot parse", "Failed to deserialize"]
                    .iter()
                    .any(|w| body.contains(w));
                let framed = body.contains("lang=\"vi\"") && body.contains("class=\"top\"");
                let said =
                    expected == 403 || body.contains("Không tìm thấy trang hoặc dữ liệu yêu cầu.");
                if status != expected || english || !framed || !said {
                    failures.push(format!(
                        "{role:<12} {method:<4} {path:<45} got {status} — expected {expected}"
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{:?}: malformed ids:\n{}",
            app.backend,
            failures.join("\n")
        );
    }
}

/// A query string that does not fit its page (an id that is not a number) gets the page in
/// Vietnamese, not axum's "Failed to deserialize query string".
#[tokio::test]
async fn malformed_queries_get_vietnamese_pages() {
    for mut app in apps().await {
        app.login("admin").await;
        for path in ["/nhat-ky?entity_id=abc", "/nhat-ky.csv?before=x"] {
            let (status, body) = app.get_text(path).await;
            assert_eq!(status, 400, "{:?} {path}", app.backend);
            assert!(
                body.contains("Dữ liệu gửi lên không đúng dạng."),
                "{:?} {path}: {body}",
                app.backend
            );
            assert!(!body.contains("Failed to deserialize"), "{path}");
            assert!(body.contains("class=\"top\""), "{path}: framed");
        }
    }
}

/// A form posted with another body type gets the same Vietnamese page, not axum's
/// "Form requests must have `Content-Type: application/x-www-form-urlencoded`".
#[tokio::test]
async fn a_body_that_is_not_a_form_gets_a_vietnamese_page() {
    for mut app in apps().await {
        app.login("admin").await;
        let response = app
            .request(reqwest::Method::POST, "/don-vi")
            .header("x-csrf-token", app.csrf())
            .header("content-type", "application/json")
            .body("{\"code\": \"X\"}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 415, "{:?}: {body}", app.backend);
        assert!(body.contains("Dữ liệu gửi lên không đúng dạng."), "{body}");
        assert!(!body.contains("Content-Type"), "{body}");
    }
}

/// The pattern with every placeholder an id that does not parse.
fn malformed(pattern: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("abc");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every route the routers declare has a row in the matrix (or is public by design).
#[test]
fn every_route_has_a_row() {
    let public = [
        "/dang-nhap",
        "/dang-xuat",
        "/ngon-ngu",
        "/static/{name}",
        "/healthz",
        "/readyz",
        // Loopback clients or the metrics token's holder (tests/operations.rs).
        "/metrics",
        "/favicon.ico",
        // survey_form: the public survey form (no login) and the device API (device key).
        "/ks/cam-on",
        "/ks/t/{token}",
        "/ks/{slug}",
        "/api/v1/responses",
        "/api/v1/questionnaire",
        // The device API's OpenAPI description (public, like the API's documentation).
        "/api/openapi.json",
        // The public results pages: published campaigns only (tests/appraisal.rs).
        "/cong-khai",
        "/cong-khai/logo",
        "/cong-khai/{id}",
        "/cong-khai/{id}/don-vi/{unit}",
    ];
    // Every route file, in the route modules' folders too.
    let mut sources = Vec::new();
    let mut folders = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/routes"
    ))];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(path);
            }
        }
    }
    assert!(sources.len() > 10, "the route files: {sources:?}");
    let mut missing = Vec::new();
    for path in sources {
        let text = std::fs::read_to_string(path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + 7..];
            let Some(start) = rest.find('"') else { break };
            let Some(end) = rest[start + 1..].find('"') else {
                break;
            };
            let path = &rest[start + 1..start + 1 + end];
            if !public.contains(&path)
                && !MATRIX
                    .iter()
                    .any(|(_, p, _)| normalise(p) == normalise(path))
            {
                missing.push(path.to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
}

/// A path with every `{placeholder}` made the same, so `{id}` in a router matches `{unit}` here.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push('*');
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}
