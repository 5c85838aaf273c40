//! Demo data for a first start: a sample province with 20 departments and 30 communes, the
//! bundled frameworks, a campaign in progress, and one account per role. Loaded only into an
//! empty database, and only when the configuration asks for it.

use chiso_domain::access::Role;
use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_store::campaigns::{self, CampaignFields};
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
    "Đài Phát thanh và Truyền hình",
    "Ban Dân tộc",
    "Sở Thông tin và Truyền thông",
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

/// Loads the demo data. `hash` is the Argon2 hash of [`PASSWORD`], made by the caller.
pub async fn seed(db: &Db, hash: &str) -> Result<(), StoreError> {
    let actor = Actor::system("demo");
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
        &actor,
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
                &actor,
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
                &actor,
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

    let mut framework_ids = Vec::new();
    for bundled in chiso_refdata::FRAMEWORKS {
        let framework = chiso_refdata::framework(bundled.id).expect("bundled frameworks are valid");
        framework_ids.push((
            bundled.id,
            frameworks::insert(db, &actor, &framework, None).await?,
        ));
    }
    let framework_id = |id: &str| {
        framework_ids
            .iter()
            .find(|(code, _)| *code == id)
            .map(|(_, f)| *f)
    };

    // A campaign in progress: self-assessment open, deadlines ahead of today.
    let today = Utc::now().date_naive();
    let ahead = |days: u64| today.checked_add_days(Days::new(days));
    let campaign = campaigns::create(
        db,
        &actor,
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
        &actor,
        campaign,
        "department",
        framework_id("department-2025"),
    )
    .await?;
    campaigns::set_framework(
        db,
        &actor,
        campaign,
        "commune",
        framework_id("commune-2025"),
    )
    .await?;
    campaigns::set_units(db, &actor, campaign, "department", &departments).await?;
    campaigns::set_units(db, &actor, campaign, "commune", &communes).await?;
    campaigns::transition(
        db,
        &actor,
        campaign,
        CampaignState::Open,
        Some("dữ liệu minh họa"),
    )
    .await?;

    let justice = departments[2];
    for (username, role) in ACCOUNTS {
        let role = Role::parse(role).expect("demo roles are valid");
        let full_name = match role {
            Role::Admin => "Quản trị hệ thống",
            Role::Secretariat => "Nguyễn Thị Thường Trực",
            Role::UnitEditor => "Trần Văn Nhập Liệu",
            Role::UnitLeader => "Lê Thị Lãnh Đạo",
            Role::Appraiser => "Phạm Văn Thẩm Định",
            Role::Viewer => "Hoàng Văn Xem",
        };
        let id = users::create(
            db,
            &actor,
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
        users::add_role(db, &actor, id, role, unit, &areas).await?;
    }
    Ok(())
}
