//! The demo province's improvement plan (docs/method.md §7): a plan of the province with its
//! document, goals, four solution groups and tasks led by departments (one by the demo
//! accounts' Sở Tư pháp, coordinated by the Sở Nội vụ), the current quarter open for reports.

use chiso_domain::plan::{Deadline, Period};
use chiso_store::plans::{self, DraftGroup, PlanFields, TaskFields, TaskTarget};
use chiso_store::units;
use chiso_store::{Actor, Db};
use chrono::{Datelike, NaiveDate};

fn target(kind: &str, index: &str, code: &str, note: &str) -> TaskTarget {
    TaskTarget {
        kind: kind.into(),
        index_id: index.into(),
        code: code.into(),
        note: note.into(),
    }
}

/// Seeds the plan for `today`'s year; `departments` are S01–S20 in order.
pub async fn seed_plan(
    db: &Db,
    actor: &Actor,
    departments: &[i64],
    today: NaiveDate,
) -> anyhow::Result<i64> {
    let all = units::list(db).await?;
    let province = all
        .iter()
        .find(|u| u.code == "99")
        .map(|u| u.id)
        .ok_or_else(|| anyhow::anyhow!("the demo province exists"))?;
    let s = |n: usize| departments[n - 1];
    let year = today.year();
    let deadline = |text: &str| Deadline::parse(text).expect("a demo deadline");
    let task = |title: &str,
                lead: i64,
                coordinators: Vec<i64>,
                when: &str,
                product: &str,
                targets: Vec<TaskTarget>| TaskFields {
        group_id: None,
        serves_task_id: None,
        title: title.into(),
        product: product.into(),
        deadline: deadline(when),
        priority: 1,
        lead_unit_id: lead,
        division: None,
        coordinators,
        targets,
        assigned_on: today,
    };
    let groups = vec![
        DraftGroup {
            title: "Nhóm giải pháp khắc phục các tiêu chí còn hạn chế trong đánh giá Chỉ số CCHC (khối sở, ban, ngành)".into(),
            index_id: Some("campaign:department".into()),
            tasks: vec![
                task(
                    "Nâng cao chất lượng kiểm soát thủ tục hành chính; rà soát, đơn giản hóa thủ tục hành chính thuộc phạm vi quản lý",
                    s(3),
                    vec![s(2), s(17)],
                    // A date months ahead: the demo accounts' unit gets no reminder in the
                    // first weeks (tests move the clock through the campaign's deadlines).
                    &format!("30/06/{}", year + 1),
                    "Báo cáo kết quả rà soát; quyết định công bố thủ tục hành chính",
                    vec![target("leaf", "campaign:department", "2.1", "Các đơn vị mất 35,0 % số điểm của tiêu chí; 8/20 đơn vị đạt điểm tối đa")],
                ),
                task(
                    "Ban hành và thực hiện đúng tiến độ kế hoạch cải cách hành chính năm của cơ quan",
                    s(2),
                    vec![],
                    "Trước ngày 20/12 hằng năm",
                    "Kế hoạch CCHC năm được ban hành",
                    vec![target("leaf", "campaign:department", "1.1", "")],
                ),
            ],
        },
        DraftGroup {
            title: "Nhóm giải pháp nâng cao Chỉ số hài lòng (SIPAS)".into(),
            index_id: Some("sipas".into()),
            tasks: vec![task(
                "Niêm yết công khai, đầy đủ thủ tục hành chính tại Trung tâm Phục vụ hành chính công; tiếp nhận, xử lý phản ánh, kiến nghị",
                s(17),
                vec![s(1), s(3)],
                "Thường xuyên",
                "Báo cáo kết quả tiếp nhận, xử lý phản ánh, kiến nghị",
                vec![target("dimension", "sipas", "2", "")],
            )],
        },
        DraftGroup {
            title: "Nhóm giải pháp nâng cao Chỉ số PAPI".into(),
            index_id: Some("papi".into()),
            tasks: vec![
                task(
                    "Công khai, minh bạch kế hoạch sử dụng đất, khung giá đất và danh sách hộ nghèo ở cấp xã",
                    s(1),
                    vec![s(6), s(4)],
                    &format!("30/06/{}", year + 1),
                    "Văn bản chỉ đạo; báo cáo kết quả công khai",
                    vec![target("dimension", "papi", "3", "")],
                ),
                task(
                    "Đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình, nâng cao chỉ số Quản trị điện tử",
                    s(8),
                    vec![s(17)],
                    "6 tháng một lần, trước ngày 15 của tháng cuối kỳ",
                    "Báo cáo 6 tháng, năm",
                    vec![target("dimension", "papi", "8", "")],
                ),
            ],
        },
        DraftGroup {
            title: "Các nhiệm vụ khác (tuyên truyền, kiểm tra, ISO, tổ chức bộ máy)".into(),
            index_id: None,
            tasks: vec![task(
                "Tuyên truyền về cải cách hành chính và kết quả các chỉ số của tỉnh",
                s(2),
                vec![s(11)],
                "Thường xuyên",
                "Tin, bài; hội nghị đối thoại",
                vec![],
            )],
        },
    ];
    let fields = PlanFields {
        owner_unit_id: province,
        parent_id: None,
        campaign_id: None,
        year: i64::from(year),
        title: format!(
            "Kế hoạch nâng cao Chỉ số cải cách hành chính, Chỉ số hài lòng và Chỉ số PAPI năm {year}"
        ),
        doc_number: Some("215/KH-UBND".into()),
        doc_date: NaiveDate::from_ymd_opt(year, 1, 10),
        issuer: Some("UBND Tỉnh Mẫu".into()),
        signer: Some("Phó Chủ tịch UBND tỉnh".into()),
        implements: "Kế hoạch cải cách hành chính năm của UBND tỉnh".into(),
    };
    let plan = plans::create_with_tasks(db, actor, &fields, &groups).await?;
    for (text, year) in [
        ("PAR INDEX: nhóm 10 tỉnh dẫn đầu", year),
        ("SIPAS ≥ 85 %", year),
        ("PAPI: nhóm 20 tỉnh dẫn đầu", year),
    ] {
        plans::add_goal(db, actor, plan, text, i64::from(year)).await?;
    }
    let quarter = Period::quarter_of(today);
    let due =
        NaiveDate::from_ymd_opt(quarter.end().year(), quarter.end().month(), 15).expect("a day");
    plans::open_period(db, actor, plan, quarter, due).await?;
    Ok(plan)
}
