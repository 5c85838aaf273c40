//! Demo data for a first start: a sample province with 20 departments (in the 2025 structure of
//! provincial departments, docs/method.md §6.3) and 30 communes, the
//! bundled frameworks, a campaign in progress (and, with the sheets filled, last year's
//! campaign published: `published.rs`), and one account per role. Loaded only into an
//! empty database, and only when the configuration asks for it.

mod plan;
mod published;

use chiso_domain::access::Role;
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_domain::{Method, Points, Rule};
use chiso_store::assessments;
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::surveys::{self, CsvRows};
use chiso_store::units::{self, UnitFields};
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Db, StoreError, frameworks};
use chrono::{Datelike, Days, Utc};

/// The demo password of every demo account.
pub const PASSWORD: &str = "chiso-demo-2026";

/// Username and role of each demo account.
pub const ACCOUNTS: [(&str, &str); 6] = [
    ("admin", "admin"),
    ("thuongtruc", "secretariat"),
    ("nhaplieu", "unit_editor"),
    ("lanhdao", "unit_leader"),
    ("thamdinh", "appraiser"),
    ("xemketqua", "viewer"),
];

/// The departments, agencies and central agencies in the province that the demo province
/// assesses, after the 2025 reorganisation of provincial departments (docs/method.md §6.3): no
/// Sở Thông tin và Truyền thông (merged into Sở Khoa học và Công nghệ) and no Ban Dân tộc
/// (now Sở Dân tộc và Tôn giáo). The order fixes the codes S01–S20 that tests and browser
/// stories use (S03 is Sở Tư pháp).
const DEPARTMENTS: [&str; 20] = [
    "Văn phòng UBND tỉnh",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng",
    "Sở Khoa học và Công nghệ",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Ban Quản lý dự án đầu tư xây dựng",
    "Trung tâm Phục vụ hành chính công",
    "Công an tỉnh",
    "Bảo hiểm xã hội tỉnh",
    "Thuế tỉnh",
];

const COMMUNES: [&str; 30] = [
    "Phường An Hòa",
    "Phường Bình Minh",
    "Phường Đông Ba",
    "Phường Phú Xuân",
    "Phường Thuận An",
    "Phường Vỹ Dạ",
    "Phường Kim Long",
    "Phường Hương Sơ",
    "Xã An Lộc",
    "Xã Bình Điền",
    "Xã Cẩm Thủy",
    "Xã Đại Lộc",
    "Xã Hòa Thắng",
    "Xã Hương Trà",
    "Xã Khánh Bình",
    "Xã Lộc Thủy",
    "Xã Minh Đức",
    "Xã Nam Đông",
    "Xã Phong Điền",
    "Xã Phú Lộc",
    "Xã Phú Vang",
    "Xã Quảng Điền",
    "Xã Tân Hiệp",
    "Xã Thanh Xuân",
    "Xã Tiên Phong",
    "Xã Trung Sơn",
    "Xã Vĩnh Hưng",
    "Xã Xuân Lộc",
    "Xã Yên Hòa",
    "Đặc khu Hòn Ngư",
];

/// Whether the database has no account yet (a first start).
pub async fn is_empty(db: &Db) -> Result<bool, StoreError> {
    Ok(users::list(db).await?.is_empty())
}

/// Loads the demo data. `hash` is the Argon2 hash of [`PASSWORD`], made by the caller;
/// `fill_sheets` also fills most units' sheets of the demo campaign. A refusal while seeding is a bug of the demo data: it stops the start with its English
/// text, for the log.
pub async fn seed(db: &Db, hash: &str, fill_sheets: bool) -> anyhow::Result<()> {
    let actor = Actor::system("demo");
    let (departments, communes) = seed_units(db, &actor).await?;
    let framework_ids = seed_frameworks(db, &actor).await?;
    let today = Utc::now().date_naive();
    let campaign =
        seed_campaign(db, &actor, today, &framework_ids, &departments, &communes).await?;
    let justice = departments[2];
    seed_accounts(db, &actor, hash, justice).await?;
    plan::seed_plan(db, &actor, &departments, today).await?;
    if fill_sheets {
        let last_year = today.year() as i64 - 1;
        published::seed_published(
            db,
            &actor,
            last_year,
            &framework_ids,
            &departments,
            &communes,
        )
        .await?;
        seed_sheets(db, &actor, campaign, justice).await?;
        seed_survey(db, &actor, campaign, today.year() as i64, &departments).await?;
    }
    Ok(())
}

/// The province, its departments (S01–S20) and its communes (X01–X30); the ids of the
/// departments and of the communes, in the order of [`DEPARTMENTS`] and [`COMMUNES`].
async fn seed_units(db: &Db, actor: &Actor) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let unit = |code: String, name: &str, kind: OrgKind, parent_id: Option<i64>| UnitFields {
        code,
        name: name.to_string(),
        kind,
        parent_id,
        region: Some("Bắc Trung Bộ và Duyên hải miền Trung".to_string()),
        valid_from: None,
        valid_to: None,
    };
    let province = units::create(
        db,
        actor,
        &unit(
            "99".into(),
            "Tỉnh Mẫu (dữ liệu minh họa)",
            OrgKind::Province,
            None,
        ),
    )
    .await?;
    let mut departments = Vec::new();
    for (i, name) in DEPARTMENTS.iter().enumerate() {
        departments.push(
            units::create(
                db,
                actor,
                &unit(
                    format!("S{:02}", i + 1),
                    name,
                    OrgKind::Department,
                    Some(province),
                ),
            )
            .await?,
        );
    }
    let mut communes = Vec::new();
    for (i, name) in COMMUNES.iter().enumerate() {
        communes.push(
            units::create(
                db,
                actor,
                &unit(
                    format!("X{:02}", i + 1),
                    name,
                    OrgKind::Commune,
                    Some(province),
                ),
            )
            .await?,
        );
    }
    Ok((departments, communes))
}

/// The bundled frameworks, each with its id in the database.
async fn seed_frameworks(db: &Db, actor: &Actor) -> anyhow::Result<Vec<(&'static str, i64)>> {
    let mut framework_ids = Vec::new();
    for bundled in chiso_refdata::FRAMEWORKS {
        let framework = chiso_refdata::framework(bundled.id).expect("bundled frameworks are valid");
        framework_ids.push((
            bundled.id,
            frameworks::insert(db, actor, &framework, None).await?,
        ));
    }
    Ok(framework_ids)
}

/// A campaign in progress: self-assessment open, deadlines ahead of today, the 2025
/// frameworks and every department and commune.
async fn seed_campaign(
    db: &Db,
    actor: &Actor,
    today: chrono::NaiveDate,
    framework_ids: &[(&str, i64)],
    departments: &[i64],
    communes: &[i64],
) -> anyhow::Result<i64> {
    let framework_id = |id: &str| {
        framework_ids
            .iter()
            .find(|(code, _)| *code == id)
            .map(|(_, f)| *f)
    };
    let ahead = |days: u64| today.checked_add_days(Days::new(days));
    let campaign = campaigns::create(
        db,
        actor,
        &CampaignFields {
            year: today.year() as i64,
            title: format!(
                "Chỉ số CCHC năm {} của các sở, ngành và UBND cấp xã",
                today.year()
            ),
            appraisal_rounds: 2,
            self_assessment_deadline: ahead(21),
            explanation_deadline: ahead(49),
            round_deadlines: vec![ahead(35), ahead(56)],
            bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
        },
    )
    .await?;
    campaigns::set_framework(
        db,
        actor,
        campaign,
        "department",
        framework_id("department-2025"),
    )
    .await?;
    campaigns::set_framework(db, actor, campaign, "commune", framework_id("commune-2025")).await?;
    campaigns::set_units(db, actor, campaign, "department", departments).await?;
    campaigns::set_units(db, actor, campaign, "commune", communes).await?;
    campaigns::transition(
        db,
        actor,
        campaign,
        CampaignState::Open,
        Some("dữ liệu minh họa"),
    )
    .await?;
    Ok(campaign)
}

/// One account per role ([`ACCOUNTS`]); the unit's editor and leader belong to `justice`
/// (Sở Tư pháp), the appraiser appraises areas 1 to 4.
async fn seed_accounts(db: &Db, actor: &Actor, hash: &str, justice: i64) -> anyhow::Result<()> {
    for (username, role) in ACCOUNTS {
        let role = Role::parse(role).expect("demo roles are valid");
        let full_name = match role {
            Role::Admin => "Quản trị hệ thống",
            Role::Secretariat => "Nguyễn Thị Thu Hà",
            Role::UnitEditor => "Trần Văn Nhập Liệu",
            Role::UnitLeader => "Lê Thị Lãnh Đạo",
            Role::Appraiser => "Phạm Văn Thẩm Định",
            Role::Viewer => "Hoàng Văn Xem",
        };
        let id = users::create(
            db,
            actor,
            &NewUser {
                username: username.into(),
                full_name: full_name.into(),
                email: None,
                password_hash: hash.to_string(),
                must_change_password: false,
            },
        )
        .await?;
        let (unit, areas): (Option<i64>, Vec<String>) = match role {
            Role::UnitEditor | Role::UnitLeader => (Some(justice), vec![]),
            Role::Appraiser => (None, vec!["1".into(), "2".into(), "3".into(), "4".into()]),
            _ => (None, vec![]),
        };
        users::add_role(db, actor, id, role, unit, &areas).await?;
    }
    Ok(())
}

/// An open SIPAS wave of the demo campaign over the departments, with a few thousand
/// responses imported as a paper batch, so the survey screens show indices, intervals and
/// charts from the first start. Answers are deterministic and lean towards satisfied, more or
/// less so per unit; about one answer in twenty is left blank.
async fn seed_survey(
    db: &Db,
    actor: &Actor,
    campaign: i64,
    year: i64,
    departments: &[i64],
) -> anyhow::Result<()> {
    let questionnaire_id = surveys::register_bundled(db, actor, "sipas-2017").await?;
    let questionnaire = surveys::get_questionnaire(db, questionnaire_id)
        .await?
        .questionnaire()?;
    let mut fields = surveys::WaveFields::new(
        questionnaire_id,
        &format!("Khảo sát SIPAS năm {year} – các sở, ngành (dữ liệu minh họa)"),
        year,
    );
    fields.campaign_id = Some(campaign);
    let wave = surveys::create_wave(db, actor, &fields).await?;
    let declared: Vec<(i64, Option<i64>)> = departments
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, Some(800 + (i as i64 * 431) % 9000)))
        .collect();
    surveys::set_units(db, actor, wave, &declared).await?;
    surveys::open_wave(db, actor, wave).await?;

    let mut csv = String::from("unit_code,respondent_id,channel,weight");
    for item in &questionnaire.items {
        csv.push(',');
        csv.push_str(&item.code);
    }
    csv.push('\n');
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 100
    };
    for (i, _) in departments.iter().enumerate() {
        let code = format!("S{:02}", i + 1);
        // The share of satisfied answers this unit tends to get, 62 % to 95 %.
        let satisfied = 62 + (i as u64 * 29) % 34;
        for respondent in 0..(200 + (i * 61) % 250) {
            let channel = ["paper", "online", "kiosk"][respondent % 3];
            csv.push_str(&format!("{code},{code}-{respondent:04},{channel},"));
            for _ in &questionnaire.items {
                let draw = next();
                let answer = match draw {
                    d if d < 5 => String::new(),
                    d if d < 5 + satisfied * 95 / 100 => {
                        if d % 3 == 0 { "5" } else { "4" }.to_string()
                    }
                    d => ["3", "2", "1"][(d % 3) as usize].to_string(),
                };
                csv.push(',');
                csv.push_str(&answer);
            }
            csv.push('\n');
        }
    }
    let rows = CsvRows::new(&questionnaire, std::io::Cursor::new(csv.into_bytes()))?;
    surveys::import_responses(
        db,
        actor,
        wave,
        rows,
        &surveys::ImportOptions::new("phieu-giay-minh-hoa.csv"),
        &mut |_, _| {},
    )
    .await?;
    seed_services(db, actor, wave, &questionnaire, departments[0]).await
}

/// Three services of the first department, each with its declared transactions and a few
/// dozen answers at its counter's kiosk, so the per-service results have something to show.
async fn seed_services(
    db: &Db,
    actor: &Actor,
    wave: i64,
    questionnaire: &chiso_survey::Questionnaire,
    unit: i64,
) -> anyhow::Result<()> {
    use chiso_store::surveys::{self as survey_services, ServiceFields};
    let services = [
        ("LLTP", "Cấp Phiếu lý lịch tư pháp", 1_200, 4u8),
        ("CT", "Chứng thực bản sao từ bản chính", 5_400, 5),
        ("HT", "Đăng ký hộ tịch có yếu tố nước ngoài", 300, 3),
    ];
    for (n, (code, name, transactions, usual)) in services.into_iter().enumerate() {
        let fields = ServiceFields {
            code: code.into(),
            name: name.into(),
            transactions: Some(transactions),
        };
        let service = survey_services::set_service(db, actor, wave, unit, &fields).await?;
        for respondent in 0..(30 + n * 12) {
            // Mostly the service's usual answer, one step lower now and then.
            let answers = (0..questionnaire.items.len())
                .map(|item| {
                    if (item + respondent) % 4 == 0 {
                        usual - 1
                    } else {
                        usual
                    }
                })
                .collect();
            let mut response = surveys::Response::new(surveys::Channel::Kiosk, answers);
            response.service_id = Some(service);
            let id = format!("{code}-{respondent:03}");
            surveys::submit(
                db,
                wave,
                unit,
                &response,
                surveys::Identity::Respondent(Some(&id)),
            )
            .await??;
        }
    }
    Ok(())
}

/// Fills the sheets of the demo campaign so the dashboards have something to show: every
/// participating unit but `left_blank` (the demo accounts' own unit, whose editor starts from
/// an empty sheet) self-assesses every leaf; one unit in three submits.
async fn seed_sheets(
    db: &Db,
    actor: &Actor,
    campaign: i64,
    left_blank: i64,
) -> Result<(), StoreError> {
    assessments::ensure_sheets(db, actor, campaign).await?;
    let today = assessments::today_in_vietnam();
    let sheets = assessments::list_sheets(db, campaign).await?;
    for (index, sheet) in sheets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.unit_id != left_blank)
    {
        let fill = Fill {
            strength: 65 + (index * 37 % 35) as u64,
            seed: index as u64,
            explain_all: false,
        };
        fill_sheet(db, actor, sheet, today, &fill).await?;
        if index.is_multiple_of(3) {
            let current = assessments::get_sheet(db, sheet.id).await?;
            // A sheet lacking evidence without explanation stays a draft: that is demo data too.
            let _ = assessments::submit(
                db,
                actor,
                Role::UnitLeader,
                sheet.id,
                current.version,
                today,
            )
            .await;
        }
    }
    Ok(())
}

/// How a demo unit fills its sheet.
struct Fill {
    /// The share (%) of leaves at full marks: some units do well on most leaves, others less so.
    strength: u64,
    /// Varies the leaves that fall short from one unit (and one year) to another.
    seed: u64,
    /// Every leaf needing evidence carries an explanation (else one in three does).
    explain_all: bool,
}

/// Self-assesses every self-assessed leaf of a sheet on `today`. Points are a deterministic
/// function of the fill and the leaf, and always valid for the leaf's rule.
async fn fill_sheet(
    db: &Db,
    actor: &Actor,
    sheet: &assessments::SheetRow,
    today: chrono::NaiveDate,
    fill: &Fill,
) -> Result<(), StoreError> {
    let stored = frameworks::load(db, sheet.framework_id).await?;
    let framework = &stored.framework;
    for (position, &leaf) in framework.leaves().iter().enumerate() {
        let node = framework.node(leaf);
        let draw = (fill.seed * 7919 + position as u64 * 104_729) % 100;
        let points = match node.method {
            Method::SelfAssessed => Some(demo_points(node, draw < fill.strength, draw)),
            // A bonus or penalty item is not claimed, but one needing evidence still takes a
            // word of explanation before the sheet can go.
            _ if fill.explain_all && node.method.is_outside_tree() && node.evidence_required => {
                None
            }
            _ => continue,
        };
        let explanation = (node.evidence_required && (fill.explain_all || draw.is_multiple_of(3)))
            .then(|| {
                "Đã ban hành kế hoạch; văn bản đang trình ký, sẽ bổ sung tài liệu kiểm chứng."
                    .to_string()
            });
        assessments::save_self_assessment(
            db,
            actor,
            Role::UnitEditor,
            sheet.id,
            today,
            &assessments::SelfEntry {
                node_id: stored.node_ids[&node.code],
                points,
                input: None,
                explanation,
                expected_version: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Points a leaf's rule accepts: its top level or step when `full`, else a lower one.
fn demo_points(node: &chiso_domain::Node, full: bool, draw: u64) -> Points {
    let max = node.max_points;
    match &node.rule {
        Some(Rule::Levels { levels }) => {
            let pick = if full {
                levels.len() - 1
            } else {
                draw as usize % levels.len()
            };
            levels[pick]
        }
        Some(Rule::Threshold {
            steps, otherwise, ..
        }) => {
            if full || steps.is_empty() {
                steps.first().map(|s| s.points).unwrap_or(*otherwise)
            } else {
                steps
                    .get(draw as usize % steps.len())
                    .map(|s| s.points)
                    .unwrap_or(*otherwise)
            }
        }
        _ if full => max,
        // Three quarters, rounded down to a quarter point, as partial work is usually scored.
        _ => Points::from_ten_thousandths(max.ten_thousandths() * 3 / 4 / 2500 * 2500),
    }
}

#[cfg(test)]
mod tests {
    use super::DEPARTMENTS;

    /// The departments of the 2025 structure (docs/method.md §6.3): none of the departments
    /// merged away, the new ones present, every name once.
    #[test]
    fn departments_follow_the_2025_structure() {
        for retired in [
            "Sở Thông tin và Truyền thông",
            "Sở Kế hoạch và Đầu tư",
            "Sở Giao thông vận tải",
            "Sở Tài nguyên và Môi trường",
            "Sở Nông nghiệp và Phát triển nông thôn",
            "Sở Lao động – Thương binh và Xã hội",
            "Ban Dân tộc",
        ] {
            assert!(
                !DEPARTMENTS.contains(&retired),
                "{retired} no longer exists"
            );
        }
        for current in [
            "Sở Dân tộc và Tôn giáo",
            "Sở Nông nghiệp và Môi trường",
            "Sở Khoa học và Công nghệ",
            "Sở Tài chính",
            "Sở Xây dựng",
            "Sở Nội vụ",
            "Sở Y tế",
        ] {
            assert!(DEPARTMENTS.contains(&current), "{current} is missing");
        }
        // S03, the demo accounts' unit, is Sở Tư pháp.
        assert_eq!(DEPARTMENTS[2], "Sở Tư pháp");
        let mut names = DEPARTMENTS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), DEPARTMENTS.len());
    }
}
