//! Improvement plans over HTTP on both backends (docs/method.md §7): a task assigned, reported
//! on with evidence by its lead, contributed to by a coordinator, closed and accepted, seen on
//! the dashboard, the period and the roll-up; the appendix exported and imported back; a
//! unit's own plan; a draft from a published campaign proposing exactly the weak leaves.

use crate::common;

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use chiso_domain::plan::draft::{self, LeafAcrossUnits};
use chiso_domain::plan::{Deadline, TaskStatus};
use chiso_domain::{Bands, evaluate, weakness};
use chiso_interchange::plan::{AppendixDoc, AppendixGroup, AppendixTask, write_appendix};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::plans::{self, TaskRow};
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Db, assessments, campaigns, notifications, units};
use common::{TestApp, apps, apps_with, location};
use reqwest::multipart::{Form, Part};

async fn unit_id(db: &Db, code: &str) -> i64 {
    units::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == code)
        .unwrap()
        .id
}

/// The demo plan and its task led by the Sở Tư pháp (S03).
async fn demo_task(db: &Db) -> (i64, TaskRow) {
    let plan = plans::list_plans(db).await.unwrap()[0].id;
    let justice = unit_id(db, "S03").await;
    let task = plans::tasks(db, plan)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.lead_unit_id == justice)
        .unwrap();
    (plan, task)
}

/// An account of a unit with a known password.
async fn unit_account(app: &TestApp, username: &str, unit: i64) -> String {
    let password = "mat-khau-thu-nghiem-2026";
    let hash = chiso_web::auth::hash_password(password.to_string())
        .await
        .unwrap();
    let actor = Actor::system("test");
    let id = users::create(
        &app.db,
        &actor,
        &NewUser {
            username: username.into(),
            full_name: format!("Cán bộ {username}"),
            email: None,
            password_hash: hash,
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    users::add_role(
        &app.db,
        &actor,
        id,
        chiso_domain::access::Role::UnitEditor,
        Some(unit),
        &[],
    )
    .await
    .unwrap();
    password.to_string()
}

/// The plan a response redirects to (`/ke-hoach/12?msg=…`).
fn plan_of(response: &reqwest::Response) -> i64 {
    location(response)
        .trim_start_matches("/ke-hoach/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

async fn report(
    app: &TestApp,
    plan: i64,
    task: i64,
    period: &str,
    percent: &str,
    text: &str,
    file: bool,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("period", period.to_string())
        .text("percent", percent.to_string())
        .text("narrative", text.to_string());
    if file {
        form = form.part(
            "file",
            Part::bytes(pdf())
                .file_name("bien-ban-ra-soat.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    app.post_multipart(&format!("/ke-hoach/{plan}/nhiem-vu/{task}/bao-cao"), form)
        .await
}

async fn move_task(
    app: &TestApp,
    plan: i64,
    task: i64,
    action: &str,
    reason: &str,
) -> reqwest::Response {
    let version = plans::get_task(&app.db, task)
        .await
        .unwrap()
        .version
        .to_string();
    app.post_form(
        &format!("/ke-hoach/{plan}/nhiem-vu/{task}/chuyen"),
        &[
            ("action", action),
            ("reason", reason),
            ("version", &version),
        ],
    )
    .await
}

#[tokio::test]
async fn a_task_goes_round_the_loop() {
    for mut app in apps().await {
        let backend = app.backend;
        let (plan, task) = demo_task(&app.db).await;
        let home = unit_id(&app.db, "S02").await;
        let other = unit_id(&app.db, "S05").await;
        let period = plans::periods(&app.db, plan).await.unwrap()[0]
            .period
            .as_code();

        // The secretariat reads the plan and assigns the task.
        app.login("thuongtruc").await;
        let (status, page) = app.get_text(&format!("/ke-hoach/{plan}")).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            page.contains(&task.title) && page.contains("Chưa bắt đầu"),
            "{backend:?}"
        );
        assert!(page.contains("PAR INDEX: nhóm 10 tỉnh dẫn đầu") && page.contains("Chờ kết quả"));
        let edit = format!("/ke-hoach/{plan}/nhiem-vu/{}/sua", task.id);
        let justice = task.lead_unit_id.to_string();
        let fields = |version: String| {
            vec![
                ("task_title".to_string(), task.title.clone()),
                ("group".to_string(), task.group_id.unwrap().to_string()),
                ("criteria".to_string(), "2.1; PAPI 3".to_string()),
                ("lead".to_string(), justice.clone()),
                ("coordinators".to_string(), home.to_string()),
                ("coordinators".to_string(), other.to_string()),
                (
                    "deadline".to_string(),
                    "Hằng quý, trước ngày 15 của tháng cuối quý".to_string(),
                ),
                ("product".to_string(), "Báo cáo rà soát".to_string()),
                ("priority".to_string(), "1".to_string()),
                ("version".to_string(), version),
            ]
        };
        let stale = fields((task.version - 1).to_string());
        let pairs: Vec<(&str, &str)> = stale
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = app.post_form(&edit, &pairs).await;
        assert_eq!(
            response.status(),
            409,
            "{backend:?}: a stale version is refused"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("vừa được người khác cập nhật")
        );
        let fresh = fields(task.version.to_string());
        let pairs: Vec<(&str, &str)> = fresh
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = app.post_form(&edit, &pairs).await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let assigned = plans::get_task(&app.db, task.id).await.unwrap();
        assert_eq!(assigned.coordinators, {
            let mut c = vec![home, other];
            c.sort_unstable();
            c
        });
        assert_eq!(assigned.deadline, Deadline::Quarterly { day: 15 });
        let targets: Vec<(&str, &str)> = assigned
            .targets
            .iter()
            .map(|t| (t.index_id.as_str(), t.code.as_str()))
            .collect();
        assert_eq!(targets, [("campaign:department", "2.1"), ("papi", "3")]);
        assert!(
            !assigned.targets[0].note.is_empty(),
            "the draft's reason is kept"
        );

        // The lead's editor sees the task and reports with evidence: the task starts.
        let editor = users::find_by_username(&app.db, "nhaplieu")
            .await
            .unwrap()
            .unwrap();
        let notices = notifications::recent(&app.db, editor.id, 10).await.unwrap();
        assert!(
            notices
                .iter()
                .any(|n| n.kind == chiso_domain::notice::NoticeKind::TaskAssigned)
        );
        app.login("nhaplieu").await;
        let (_, mine) = app.get_text("/nhiem-vu").await;
        assert!(
            mine.contains(&task.title) && mine.contains("Chủ trì"),
            "{backend:?}"
        );
        let response = report(&app, plan, task.id, &period, "140", "Quá tỷ lệ", false).await;
        assert_eq!(response.status(), 422, "{backend:?}");
        assert!(response.text().await.unwrap().contains("140 %"));
        let response = report(
            &app,
            plan,
            task.id,
            &period,
            "40",
            "Đã rà soát 25 thủ tục hành chính",
            true,
        )
        .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        assert_eq!(
            plans::get_task(&app.db, task.id).await.unwrap().status,
            TaskStatus::InProgress
        );
        let files = plans::report_files(&app.db, plan, Some(task.id))
            .await
            .unwrap();
        assert_eq!(files.len(), 1);
        let download = format!(
            "/ke-hoach/{plan}/nhiem-vu/{}/tep/{}",
            task.id, files[0].file_id
        );
        let response = app.get(&download).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap().to_vec(), pdf());

        // A coordinator contributes but cannot close the task.
        let password = unit_account(&app, "phoihop.snv", home).await;
        app.login_with("phoihop.snv", &password).await;
        let response = report(
            &app,
            plan,
            task.id,
            &period,
            "30",
            "Sở Nội vụ hướng dẫn quy trình nội bộ",
            false,
        )
        .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let response = move_task(&app, plan, task.id, "close", "").await;
        assert_eq!(response.status(), 403, "{backend:?}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Bạn không có quyền báo cáo hoàn thành")
        );
        assert_eq!(
            app.get(&download).await.status(),
            200,
            "coordinators read the evidence"
        );

        // Others neither read the evidence nor report.
        app.login("xemketqua").await;
        assert_eq!(app.get(&download).await.status(), 403);
        assert_eq!(
            report(&app, plan, task.id, &period, "10", "x", false)
                .await
                .status(),
            403
        );

        // The lead closes; the secretariat needs a reason to send back, then accepts.
        app.login("nhaplieu").await;
        assert_eq!(
            move_task(&app, plan, task.id, "close", "").await.status(),
            303
        );
        app.login("thuongtruc").await;
        let response = move_task(&app, plan, task.id, "reject", "").await;
        assert_eq!(response.status(), 422);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Cần nêu lý do khi trả lại")
        );
        assert_eq!(
            move_task(&app, plan, task.id, "accept", "").await.status(),
            303
        );
        assert_eq!(
            plans::get_task(&app.db, task.id).await.unwrap().status,
            TaskStatus::Done
        );

        // The dashboard, the period and the roll-up say so.
        let (_, dashboard) = app.get_text(&format!("/ke-hoach/{plan}/tong-quan")).await;
        assert!(dashboard.contains("id=\"total-done\">1<"), "{backend:?}");
        let (_, period_page) = app
            .get_text(&format!("/ke-hoach/{plan}/ky-bao-cao/{period}"))
            .await;
        assert!(period_page.contains("Đã rà soát 25 thủ tục hành chính"));
        assert!(period_page.contains("Sở Nội vụ hướng dẫn quy trình nội bộ"));
        assert!(
            period_page.contains("1 nhiệm vụ đã hoàn thành"),
            "the narrative's draft counts it"
        );
        let response = app
            .get(&format!(
                "/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx"
            ))
            .await;
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
        assert!(
            cells
                .iter()
                .any(|c| c == "Đã rà soát 25 thủ tục hành chính"),
            "{backend:?}"
        );
        assert!(
            cells
                .iter()
                .any(|c| c.contains("Sở Nội vụ hướng dẫn quy trình nội bộ"))
        );

        // A thematic roll-up holds its index's tasks only.
        let response = app
            .get(&format!(
                "/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx?chi_so=campaign"
            ))
            .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let mut book: Xlsx<_> =
            Xlsx::new(Cursor::new(response.bytes().await.unwrap().to_vec())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
        assert!(
            cells.iter().any(|c| c == &task.title),
            "{backend:?}: the assessment's task"
        );
        assert!(
            !cells.iter().any(|c| c.starts_with("Niêm yết công khai")),
            "{backend:?}: not SIPAS's"
        );
        let response = app
            .get(&format!(
                "/ke-hoach/{plan}/ky-bao-cao/{period}/tong-hop.xlsx?chi_so=khong-co"
            ))
            .await;
        assert_eq!(response.status(), 404);

        // The unit's page lists the task it leads.
        let (_, unit_page) = app
            .get_text(&format!("/don-vi/{}", task.lead_unit_id))
            .await;
        let section = &unit_page[unit_page.find("unit-plan-tasks").unwrap()..];
        assert!(
            section.contains(&task.title) && section.contains("Chủ trì"),
            "{backend:?}"
        );

        // The roll-up and the appendix as administrative documents (PDF, made in the background).
        let response = app
            .post_form(
                &format!("/ke-hoach/{plan}/ky-bao-cao/{period}/bao-cao"),
                &[],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let pdf = crate::reports::finish(&app, &location(&response)).await;
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = crate::reports::pdf_text(&pdf) {
            for part in [
                "BÁO CÁO KẾT QUẢ THỰC HIỆN",
                "Đã rà soát 25 thủ tục hành chính",
                "Sở Nội vụ: Sở Nội vụ hướng dẫn",
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            ] {
                assert!(
                    text.contains(part),
                    "{backend:?}: «{part}» missing from the roll-up:\n{text}"
                );
            }
        }
        let response = app
            .post_form(&format!("/ke-hoach/{plan}/phu-luc.pdf"), &[])
            .await;
        let pdf = crate::reports::finish(&app, &location(&response)).await;
        if let Some(text) = crate::reports::pdf_text(&pdf) {
            assert!(
                text.contains("PHỤ LỤC") && text.contains("Cơ quan chủ trì"),
                "{text}"
            );
        }

        // Every change is in the audit log.
        let rows = audit::list(
            &app.db,
            &AuditFilter {
                entity_type: Some("plan_task".into()),
                entity_id: Some(task.id),
                limit: 200,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        for action in ["update_task", "file_report", "move_task"] {
            assert!(
                rows.iter().any(|r| r.action == action),
                "{backend:?}: {action}"
            );
        }

        // Opening a period tells the units on open tasks (the Sở Tư pháp coordinates one);
        // twice is refused in Vietnamese.
        let open = [("kind", "Y"), ("year", "2026"), ("due_on", "20/12/2026")];
        let response = app
            .post_form(&format!("/ke-hoach/{plan}/ky-bao-cao"), &open)
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let notices = notifications::recent(&app.db, editor.id, 20).await.unwrap();
        let opened: Vec<_> = notices
            .iter()
            .filter(|n| n.kind == chiso_domain::notice::NoticeKind::PeriodOpened)
            .collect();
        assert_eq!(opened.len(), 1, "{backend:?}");
        let sentence = chiso_web::describe::notice::sentence(chiso_web::i18n::Lang::Vi, opened[0]);
        assert!(
            sentence.contains("Năm 2026") && sentence.contains("20/12/2026"),
            "{sentence}"
        );
        let response = app
            .post_form(&format!("/ke-hoach/{plan}/ky-bao-cao"), &open)
            .await;
        assert_eq!(response.status(), 422, "{backend:?}");
        assert!(response.text().await.unwrap().contains("đã được mở"));
    }
}

#[tokio::test]
async fn the_appendix_goes_out_and_comes_back_as_the_same_plan() {
    for mut app in apps().await {
        let backend = app.backend;
        let (plan, _) = demo_task(&app.db).await;
        app.login("thuongtruc").await;
        let response = app.get(&format!("/ke-hoach/{plan}/phu-luc.xlsx")).await;
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap().to_vec();
        let upload = |bytes: Vec<u8>| {
            Form::new()
                .text("title", "Kế hoạch nhập từ phụ lục")
                .text("year", "2027")
                .text("doc_number", "88/KH-UBND")
                .part("file", Part::bytes(bytes).file_name("phu-luc.xlsx"))
        };
        let response = app.post_multipart("/ke-hoach/nhap", upload(bytes)).await;
        if response.status() != 303 {
            let body = response.text().await.unwrap();
            let start = body.find("role=\"alert\"").unwrap_or(0);
            panic!(
                "{backend:?}: {}",
                &body[start..(start + 1500).min(body.len())]
            );
        }
        let imported: i64 = plan_of(&response);
        let before = plans::tasks(&app.db, plan).await.unwrap();
        let after = plans::tasks(&app.db, imported).await.unwrap();
        assert_eq!(before.len(), after.len(), "{backend:?}");
        for (a, b) in before.iter().zip(&after) {
            assert_eq!(
                (
                    &a.title,
                    a.lead_unit_id,
                    &a.coordinators,
                    a.deadline,
                    &a.product
                ),
                (
                    &b.title,
                    b.lead_unit_id,
                    &b.coordinators,
                    b.deadline,
                    &b.product
                )
            );
        }
        let groups: Vec<String> = plans::groups(&app.db, imported)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.title)
            .collect();
        assert!(groups.iter().any(|g| g.contains("SIPAS")), "{groups:?}");

        // An agency that is no unit: nothing is made and the row is named.
        let count = plans::list_plans(&app.db).await.unwrap().len();
        let bad = write_appendix(&AppendixDoc {
            authority: "UBND TỈNH MẪU".into(),
            title: "PHỤ LỤC".into(),
            document: String::new(),
            groups: vec![AppendixGroup {
                title: "Nhóm giải pháp".into(),
                tasks: vec![AppendixTask {
                    title: "Nhiệm vụ thử".into(),
                    criteria: vec![],
                    lead: "Sở Không Có Thật".into(),
                    coordinators: vec![],
                    deadline: "Thường xuyên".into(),
                    product: String::new(),
                    status: None,
                }],
            }],
        })
        .unwrap();
        let response = app.post_multipart("/ke-hoach/nhap", upload(bad)).await;
        assert_eq!(response.status(), 422, "{backend:?}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("«Sở Không Có Thật» không có trong danh sách đơn vị"),
            "{body}"
        );
        assert_eq!(plans::list_plans(&app.db).await.unwrap().len(), count);
    }
}

#[tokio::test]
async fn a_unit_plans_under_the_province_and_only_its_staff_edit_it() {
    for mut app in apps().await {
        let backend = app.backend;
        let (plan, _) = demo_task(&app.db).await;
        let justice = unit_id(&app.db, "S03").await;
        let other = unit_id(&app.db, "S05").await;
        app.login("nhaplieu").await;
        let response = app
            .post_form(
                "/ke-hoach",
                &[
                    ("unit", &justice.to_string()),
                    ("parent", &plan.to_string()),
                    ("title", "Kế hoạch triển khai của Sở Tư pháp"),
                    ("year", "2026"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let own: i64 = plan_of(&response);
        let add = |lead: i64| {
            vec![
                (
                    "task_title".to_string(),
                    "Rà soát quy trình nội bộ".to_string(),
                ),
                ("lead".to_string(), lead.to_string()),
                (
                    "division".to_string(),
                    "Phòng Hành chính tư pháp".to_string(),
                ),
                ("deadline".to_string(), "Thường xuyên".to_string()),
            ]
        };
        let fields = add(other);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = app
            .post_form(&format!("/ke-hoach/{own}/nhiem-vu"), &pairs)
            .await;
        assert_eq!(response.status(), 422, "{backend:?}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("giao nhiệm vụ cho chính đơn vị")
        );
        let fields = add(justice);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            app.post_form(&format!("/ke-hoach/{own}/nhiem-vu"), &pairs)
                .await
                .status(),
            303
        );
        assert_eq!(
            plans::tasks(&app.db, own).await.unwrap()[0]
                .division
                .as_deref(),
            Some("Phòng Hành chính tư pháp")
        );
        // The unit may not edit the province's plan.
        assert_eq!(
            app.post_form(&format!("/ke-hoach/{plan}/nhom"), &[("title", "X")])
                .await
                .status(),
            403
        );

        // The secretariat reads it but does not edit it; an appraiser does not read it.
        app.login("thuongtruc").await;
        assert_eq!(app.get(&format!("/ke-hoach/{own}")).await.status(), 200);
        assert_eq!(
            app.post_form(&format!("/ke-hoach/{own}/nhom"), &[("title", "X")])
                .await
                .status(),
            403
        );
        app.login("thamdinh").await;
        assert_eq!(app.get(&format!("/ke-hoach/{own}")).await.status(), 403);
        let (_, list) = app.get_text("/ke-hoach").await;
        assert!(
            !list.contains("Kế hoạch triển khai của Sở Tư pháp"),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn a_draft_from_a_published_campaign_proposes_exactly_the_weak_leaves() {
    for mut app in apps_with(|config| config.demo_sheets = true).await {
        let backend = app.backend;
        let published = campaigns::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.state() == chiso_domain::campaign::CampaignState::Published)
            .unwrap();
        app.login("thuongtruc").await;
        let response = app
            .post_form(
                "/ke-hoach/du-thao",
                &[
                    ("title", "Kế hoạch dự thảo"),
                    ("year", "2026"),
                    ("campaign", &published.id.to_string()),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let drafted: i64 = plan_of(&response);
        let tasks = plans::tasks(&app.db, drafted).await.unwrap();
        let bands = Bands::parse(&published.bands).unwrap();
        for group in assessments::group_finals(&app.db, published.id)
            .await
            .unwrap()
        {
            let framework = &group.stored.framework;
            let evaluation = evaluate(framework, group.inputs.clone(), &bands);
            let leaves: Vec<LeafAcrossUnits> = weakness::weakest_leaves(framework, &evaluation)
                .iter()
                .map(|l| LeafAcrossUnits {
                    code: framework.node(l.leaf).code.clone(),
                    lost: l.lost.to_f64(),
                    share: 1.0 - l.share / 100.0,
                    full_marks: l.full_marks,
                    units: l.units,
                })
                .collect();
            let mut expected: Vec<String> = draft::weak_leaves(&leaves)
                .into_iter()
                .map(|(l, _)| l.code.clone())
                .collect();
            let index = format!("campaign:{}", group.unit_group);
            let mut proposed: Vec<String> = tasks
                .iter()
                .flat_map(|t| &t.targets)
                .filter(|t| t.index_id == index)
                .map(|t| t.code.clone())
                .collect();
            expected.sort();
            proposed.sort();
            assert!(
                !expected.is_empty(),
                "{backend:?}: the demo results have weak leaves"
            );
            assert_eq!(proposed, expected, "{backend:?} {}", group.unit_group);
        }
        let notes: Vec<&str> = tasks
            .iter()
            .flat_map(|t| &t.targets)
            .map(|t| t.note.as_str())
            .collect();
        assert!(
            notes.iter().all(|n| n.contains("% số điểm của tiêu chí")),
            "{notes:?}"
        );
        assert!(
            tasks.iter().any(|t| !t.coordinators.is_empty()),
            "the units that lost most coordinate"
        );
        let (status, page) = app.get_text(&format!("/ke-hoach/{drafted}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Khắc phục hạn chế, nâng cao kết quả tiêu chí"),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn task_reminders_follow_the_clock_once_each() {
    use chiso_web::app::Clock;
    use chiso_web::scheduler::Scheduler;
    use chrono::{Duration, TimeZone, Utc};
    // The test's scheduler reads its own clock; the servers keep the system's, so their own
    // pass as they start (the demo task is due months away) writes nothing that races it.
    let clock = Clock::fixed(Utc::now());
    for app in apps().await {
        let backend = app.backend;
        clock.set(Utc::now());
        let (_, task) = demo_task(&app.db).await;
        let Deadline::On(due) = task.deadline else {
            panic!("the demo task of the Sở Tư pháp is due on a date");
        };
        let editor = users::find_by_username(&app.db, "nhaplieu")
            .await
            .unwrap()
            .unwrap();
        let scheduler = Scheduler {
            db: app.db.clone(),
            clock: clock.clone(),
            mailer: None,
        };
        // Noon in Vietnam on a day relative to the due date.
        let at = |days: i64| {
            Utc.from_utc_datetime(&(due + Duration::days(days)).and_hms_opt(5, 0, 0).unwrap())
        };
        // The unit's editor and leader are told: two notices per reminder.
        for (day, expected) in [(-8, 0), (-7, 1), (-7, 0), (-5, 0), (-3, 1), (-1, 1), (0, 0)] {
            clock.set(at(day));
            let pass = scheduler.pass().await;
            assert_eq!(pass.task_notices, 2 * expected, "{backend:?} day {day}");
        }
        let mine = notifications::recent(&app.db, editor.id, 50).await.unwrap();
        let soon: Vec<_> = mine
            .iter()
            .filter(|n| n.kind == chiso_domain::notice::NoticeKind::TaskDueSoon)
            .collect();
        assert_eq!(
            soon.len(),
            3,
            "{backend:?}: 7, 3 and 1 days before, once each"
        );
        // The day after, the task is overdue: one notice, however many passes.
        clock.set(at(1));
        scheduler.pass().await;
        scheduler.pass().await;
        let mine = notifications::recent(&app.db, editor.id, 50).await.unwrap();
        let overdue = mine
            .iter()
            .filter(|n| n.kind == chiso_domain::notice::NoticeKind::TaskOverdue)
            .count();
        assert_eq!(overdue, 1, "{backend:?}");
        let text = chiso_web::describe::notice::sentence(
            chiso_web::i18n::Lang::Vi,
            mine.iter()
                .find(|n| n.kind == chiso_domain::notice::NoticeKind::TaskOverdue)
                .unwrap(),
        );
        assert!(
            text.contains("đã quá hạn") && text.contains(&task.title),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_draft_from_the_national_indices_holds_dimensions_to_the_targets() {
    for mut app in apps().await {
        let backend = app.backend;
        // PAPI 2023 with Huế (the configured province) last of 61 on dimension 1 and first on
        // dimension 2 (tests/it/indices_pages.rs).
        crate::indices_pages::import(&app, "papi", &crate::indices_pages::papi_2023()).await;
        app.login("thuongtruc").await;
        let response = app
            .post_form(
                "/chi-so-quoc-gia/muc-tieu",
                &[
                    ("index", "papi"),
                    ("year", "2023"),
                    ("target", "PAPI: nhóm 10 tỉnh dẫn đầu"),
                    ("document", "KH 1871/KH-UBND"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let response = app
            .post_form(
                "/ke-hoach/du-thao",
                &[
                    ("title", "Kế hoạch PAPI"),
                    ("year", "2024"),
                    ("indices", "1"),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{backend:?}");
        let drafted: i64 = plan_of(&response);
        let groups = plans::groups(&app.db, drafted).await.unwrap();
        let papi = groups
            .iter()
            .find(|g| g.index_id.as_deref() == Some("papi"))
            .expect("a PAPI group");
        let tasks: Vec<TaskRow> = plans::tasks(&app.db, drafted)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.group_id == Some(papi.id))
            .collect();
        assert_eq!(tasks.len(), 1, "{backend:?}: dimension 1 only");
        let target = &tasks[0].targets[0];
        assert_eq!(
            (
                target.kind.as_str(),
                target.index_id.as_str(),
                target.code.as_str()
            ),
            ("dimension", "papi", "1")
        );
        assert!(
            target.note.contains("Xếp hạng 61/61, thuộc nhóm cuối"),
            "{}",
            target.note
        );
        assert!(
            target.note.contains("chưa đạt mục tiêu nhóm 10"),
            "{}",
            target.note
        );
        // The result before the plan (2023) is on the task's page.
        let (_, page) = app
            .get_text(&format!("/ke-hoach/{drafted}/nhiem-vu/{}", tasks[0].id))
            .await;
        assert!(page.contains("2023: 5,00"), "{backend:?}");
    }
}
