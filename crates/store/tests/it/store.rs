//! The store on both backends: every test runs on SQLite and, when reachable, on PostgreSQL,
//! each time in a fresh database.

use chiso_domain::access::Role;
use chiso_domain::campaign::{CampaignState, TransitionError};
use chiso_domain::org::OrgKind;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::testing::{backends, empty_postgres, empty_sqlite};
use chiso_store::units::{self, ImportedUnit, MergeTarget, UnitFields};
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Backend, Db, SetupRefusal, StoreError, frameworks, with_db};
use chrono::{Duration, NaiveDate, Utc};

fn actor() -> Actor {
    Actor::system("test")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn unit(code: &str, name: &str, kind: OrgKind, parent_id: Option<i64>) -> UnitFields {
    UnitFields {
        code: code.into(),
        name: name.into(),
        kind,
        parent_id,
        region: None,
        valid_from: None,
        valid_to: None,
    }
}

async fn audit_rows(db: &Db, entity_type: &str, entity_id: i64) -> Vec<audit::AuditRecord> {
    audit::list(
        db,
        &AuditFilter {
            entity_type: Some(entity_type.into()),
            entity_id: Some(entity_id),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_empty_database_migrates_and_a_second_run_is_a_no_op() {
    let mut empties = vec![empty_sqlite().await];
    empties.extend(empty_postgres().await);
    for test_db in empties {
        let db = &test_db.db;
        db.migrate().await.unwrap();
        let first = db.applied_migrations().await.unwrap();
        assert!(!first.is_empty());
        db.migrate().await.unwrap();
        assert_eq!(
            db.applied_migrations().await.unwrap(),
            first,
            "{:?}",
            test_db.backend()
        );
    }
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let versions = |backend: &str| -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
}

/// Applies the migrations older than `version` only, as an earlier release left the database.
async fn migrate_before(db: &Db, version: i64) {
    fn older(mut migrator: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
        let kept: Vec<_> = migrator
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect();
        migrator.migrations = kept.into();
        migrator
    }
    match db {
        Db::Sqlite(pools) => older(sqlx::migrate!("migrations/sqlite"), version)
            .run(&pools.write)
            .await
            .unwrap(),
        Db::Postgres(pool) => older(sqlx::migrate!("migrations/postgres"), version)
            .run(pool)
            .await
            .unwrap(),
    }
}

/// The migration that adds the district kind rebuilds SQLite's unit table: a database with
/// units, roles and lineage keeps every row, id and reference, and its foreign keys still hold.
#[tokio::test]
async fn the_district_migration_keeps_every_unit_and_reference() {
    let mut databases = vec![empty_sqlite().await];
    databases.extend(empty_postgres().await);
    for test_db in databases {
        let db = &test_db.db;
        migrate_before(db, 20261208000001).await;
        let statements = [
            "INSERT INTO org_units (id, code, name, name_search, kind, parent_id, created_at, updated_at) \
             VALUES (7, '46', 'Huế', 'hue', 'province', NULL, '2026-01-01', '2026-01-01')",
            "INSERT INTO org_units (id, code, name, name_search, kind, parent_id, created_at, updated_at) \
             VALUES (9, 'X1', 'Xã A', 'xa a', 'commune', 7, '2026-01-01', '2026-01-01')",
            "INSERT INTO org_units (id, code, name, name_search, kind, parent_id, created_at, updated_at) \
             VALUES (12, 'X2', 'Phường B', 'phuong b', 'commune', 7, '2026-01-01', '2026-01-01')",
            "INSERT INTO unit_lineage (predecessor_id, successor_id, kind, effective_date, created_at) \
             VALUES (9, 12, 'merge', '2025-07-01', '2026-01-01')",
            "INSERT INTO users (id, username, full_name, password_hash, created_at, updated_at) \
             VALUES (3, 'u', 'U', 'x', '2026-01-01', '2026-01-01')",
            "INSERT INTO role_assignments (user_id, role, unit_id, created_at) \
             VALUES (3, 'unit_editor', 12, '2026-01-01')",
        ];
        for sql in statements {
            with_db!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ())).unwrap();
        }
        db.migrate().await.unwrap();

        let units: Vec<(i64, String, Option<i64>)> = with_db!(db, pool => sqlx::query_as(
            "SELECT id, kind, parent_id FROM org_units ORDER BY id").fetch_all(pool).await)
        .unwrap();
        assert_eq!(
            units,
            [
                (7, "province".to_string(), None),
                (9, "commune".to_string(), Some(7)),
                (12, "commune".to_string(), Some(7)),
            ]
        );
        let role_unit: i64 = with_db!(db, pool => sqlx::query_scalar(
            "SELECT unit_id FROM role_assignments WHERE user_id = 3").fetch_one(pool).await)
        .unwrap();
        assert_eq!(role_unit, 12);
        // The references still bind: a referenced unit cannot go, a district can come.
        let removed = with_db!(db, pool => sqlx::query("DELETE FROM org_units WHERE id = 12")
            .execute(pool).await.map(|_| ()));
        assert!(removed.is_err(), "{removed:?}");
        with_db!(db, pool => sqlx::query(
            "INSERT INTO org_units (code, name, name_search, kind, parent_id, created_at, updated_at) \
             VALUES ('474', 'Huyện Phú Vang', 'huyen phu vang', 'district', 7, '2026-01-01', '2026-01-01')")
            .execute(pool).await.map(|_| ()))
        .unwrap();
        assert!(
            db.applied_migrations()
                .await
                .unwrap()
                .contains(&20261208000001)
        );
    }
}

#[tokio::test]
async fn districts_sit_under_provinces_and_communes_under_districts() {
    for test_db in backends().await {
        let db = &test_db.db;
        let province = units::create(
            db,
            &actor(),
            &unit("46", "Thừa Thiên Huế", OrgKind::Province, None),
        )
        .await
        .unwrap();
        let district = units::create(
            db,
            &actor(),
            &unit("474", "Huyện Phú Vang", OrgKind::District, Some(province)),
        )
        .await
        .unwrap();
        let commune = units::create(
            db,
            &actor(),
            &unit("19900", "Xã Phú An", OrgKind::Commune, Some(district)),
        )
        .await
        .unwrap();
        assert_eq!(
            units::get(db, district).await.unwrap().kind,
            OrgKind::District
        );
        assert_eq!(
            units::get(db, commune).await.unwrap().parent_id,
            Some(district)
        );
        // A district sits under a province only.
        let department = units::create(
            db,
            &actor(),
            &unit("SNV", "Sở Nội vụ", OrgKind::Department, Some(province)),
        )
        .await
        .unwrap();
        let wrong = units::create(
            db,
            &actor(),
            &unit("475", "Huyện A Lưới", OrgKind::District, Some(department)),
        )
        .await;
        assert!(
            matches!(
                wrong,
                Err(StoreError::Setup(SetupRefusal::ParentKind {
                    kind: OrgKind::District,
                    parent_kind: OrgKind::Department,
                    ..
                }))
            ),
            "{wrong:?}"
        );
        // The schema still refuses an unknown kind and a parent that does not exist (the
        // SQLite table was rebuilt to widen its CHECK: its foreign key must still hold).
        let unknown_kind = with_db!(db, pool => sqlx::query(
            "INSERT INTO org_units (code, name, name_search, kind, created_at, updated_at) \
             VALUES ('Z', 'Z', 'z', 'hamlet', '2026-01-01', '2026-01-01')")
            .execute(pool).await.map(|_| ()));
        assert!(unknown_kind.is_err(), "{unknown_kind:?}");
        let orphan = with_db!(db, pool => sqlx::query(
            "INSERT INTO org_units (code, name, name_search, kind, parent_id, created_at, updated_at) \
             VALUES ('Z', 'Z', 'z', 'commune', 999999, '2026-01-01', '2026-01-01')")
            .execute(pool).await.map(|_| ()));
        assert!(orphan.is_err(), "{orphan:?}");
    }
}

#[tokio::test]
async fn units_form_a_hierarchy_and_every_change_is_audited() {
    for test_db in backends().await {
        let db = &test_db.db;
        let province = units::create(
            db,
            &actor(),
            &unit("46", "Thừa Thiên Huế", OrgKind::Province, None),
        )
        .await
        .unwrap();
        let department = units::create(
            db,
            &actor(),
            &unit("SNV", "Sở Nội vụ", OrgKind::Department, Some(province)),
        )
        .await
        .unwrap();

        // A commune cannot sit under a department.
        let wrong = units::create(
            db,
            &actor(),
            &unit("X1", "Xã A", OrgKind::Commune, Some(department)),
        )
        .await;
        assert!(
            matches!(
                wrong,
                Err(StoreError::Setup(SetupRefusal::ParentKind {
                    kind: OrgKind::Commune,
                    parent_kind: OrgKind::Department,
                    ..
                }))
            ),
            "{wrong:?}"
        );
        // The same code in the same period is refused.
        let duplicate =
            units::create(db, &actor(), &unit("46", "Huế", OrgKind::Province, None)).await;
        assert!(
            matches!(duplicate, Err(StoreError::Conflict(_))),
            "{duplicate:?}"
        );

        let mut renamed = unit("46", "Huế", OrgKind::Province, None);
        renamed.region = Some("Bắc Trung Bộ và Duyên hải miền Trung".into());
        units::update(db, &actor(), province, &renamed)
            .await
            .unwrap();
        let rows = audit_rows(db, "org_unit", province).await;
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.field.as_deref().unwrap(),
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                )
            })
            .collect();
        assert!(
            fields.contains(&("name", Some("Thừa Thiên Huế"), Some("Huế"))),
            "{fields:?}"
        );
        assert!(fields.contains(&("region", None, Some("Bắc Trung Bộ và Duyên hải miền Trung"))));
        assert!(fields.iter().any(|f| f.0 == "unit"));

        let found = units::search(db, "noi vu", 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, department);
        assert_eq!(
            units::descendants(&units::list(db).await.unwrap(), province),
            [province, department]
        );
    }
}

#[tokio::test]
async fn a_merger_ends_the_predecessors_and_records_lineage() {
    for test_db in backends().await {
        let db = &test_db.db;
        let nation = units::create(db, &actor(), &unit("VN", "Việt Nam", OrgKind::Nation, None))
            .await
            .unwrap();
        let quang_tri = units::create(
            db,
            &actor(),
            &unit("45", "Quảng Trị", OrgKind::Province, Some(nation)),
        )
        .await
        .unwrap();
        let quang_binh = units::create(
            db,
            &actor(),
            &unit("44", "Quảng Bình", OrgKind::Province, Some(nation)),
        )
        .await
        .unwrap();
        let mut successor = unit("44", "Quảng Trị", OrgKind::Province, Some(nation));
        successor.valid_from = Some(date(2025, 7, 1));
        let new_id = units::merge(
            db,
            &actor(),
            &[quang_tri, quang_binh],
            MergeTarget::New(successor),
            date(2025, 7, 1),
            Some("NQ 202/2025/QH15"),
        )
        .await
        .unwrap();
        // Code 44 is reused: before the merger it is Quảng Bình, after it Quảng Trị.
        let before = units::find_current_by_code(db, "44", date(2025, 6, 30))
            .await
            .unwrap()
            .unwrap();
        let after = units::find_current_by_code(db, "44", date(2025, 7, 1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(before.name, "Quảng Bình");
        assert_eq!(after.id, new_id);
        assert_eq!(
            units::get(db, quang_tri).await.unwrap().valid_to,
            Some(date(2025, 6, 30))
        );
        let edges = units::lineage(db).await.unwrap();
        assert_eq!(edges.len(), 2);
        assert!(
            edges
                .iter()
                .all(|e| e.successor_id == new_id && e.kind == "merge")
        );
        let merges = audit_rows(db, "org_unit", new_id).await;
        assert_eq!(merges.iter().filter(|r| r.action == "merge").count(), 2);
    }
}

#[tokio::test]
async fn an_import_is_all_or_nothing() {
    for test_db in backends().await {
        let db = &test_db.db;
        let row =
            |n: usize, code: &str, name: &str, kind: OrgKind, parent: Option<&str>| ImportedUnit {
                row: n,
                fields: unit(code, name, kind, None),
                parent_code: parent.map(str::to_string),
            };
        let bad = [
            row(2, "T", "Tỉnh Mẫu", OrgKind::Province, None),
            row(3, "S1", "Sở Tư pháp", OrgKind::Department, Some("T")),
            row(4, "S2", "Sở Y tế", OrgKind::Department, Some("ZZ")),
        ];
        let error = units::import(db, &actor(), &bad).await.unwrap_err();
        let StoreError::Setup(SetupRefusal::ImportRow { row: 4, refusal }) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(**refusal, SetupRefusal::ImportParent { code: "ZZ".into() });
        assert_eq!(
            error.to_string(),
            "row 4: parent_code ZZ is not a current unit"
        );
        assert!(
            units::list(db).await.unwrap().is_empty(),
            "nothing half-written"
        );

        let good = [
            row(2, "T", "Tỉnh Mẫu", OrgKind::Province, None),
            row(3, "S1", "Sở Tư pháp", OrgKind::Department, Some("T")),
        ];
        let summary = units::import(db, &actor(), &good).await.unwrap();
        assert_eq!((summary.created, summary.updated), (2, 0));
        let again = units::import(
            db,
            &actor(),
            &[row(
                3,
                "S1",
                "Sở Tư pháp tỉnh",
                OrgKind::Department,
                Some("T"),
            )],
        )
        .await
        .unwrap();
        assert_eq!((again.created, again.updated), (0, 1));
    }
}

#[tokio::test]
async fn frameworks_round_trip_and_freeze_when_a_campaign_opens() {
    for test_db in backends().await {
        let db = &test_db.db;
        let bundled = chiso_refdata::framework("commune-2025").unwrap();
        let id = frameworks::insert(db, &actor(), &bundled, None)
            .await
            .unwrap();
        let stored = frameworks::load(db, id).await.unwrap();
        assert_eq!(stored.framework.to_specs(), bundled.to_specs());
        assert_eq!(stored.row.version, 1);
        assert!(stored.row.sample);

        // A correction before the campaign opens keeps node ids and is audited.
        let node_before = stored.node_ids["1.1"];
        let mut specs = bundled.to_source_specs();
        specs[1].title = "Tiêu đề đã sửa".into();
        let corrected = chiso_domain::Framework::build(bundled.meta.clone(), specs).unwrap();
        frameworks::replace_tree(db, &actor(), id, &corrected)
            .await
            .unwrap();
        let reloaded = frameworks::load(db, id).await.unwrap();
        assert_eq!(reloaded.node_ids["1.1"], node_before);
        assert_eq!(
            reloaded
                .framework
                .node(reloaded.framework.find("1.1").unwrap())
                .title,
            "Tiêu đề đã sửa"
        );
        let edits = audit_rows(db, "framework_node", node_before).await;
        assert_eq!(edits[0].field.as_deref(), Some("1.1 title"));

        // A new version continues every node of the old one.
        let v2 = frameworks::new_version(db, &actor(), id, Some(2026))
            .await
            .unwrap();
        let v2 = frameworks::load(db, v2).await.unwrap();
        assert_eq!(v2.row.version, 2);
        assert_eq!(v2.row.previous_id, Some(id));
        assert_eq!(v2.row.year, Some(2026));
        assert_eq!(
            v2.framework
                .node(v2.framework.find("2.1").unwrap())
                .continues,
            ["2.1"]
        );

        // Open a campaign with version 1: it freezes, and corrections are refused.
        let province = units::create(db, &actor(), &unit("T", "Tỉnh", OrgKind::Province, None))
            .await
            .unwrap();
        let commune = units::create(
            db,
            &actor(),
            &unit("X", "Xã", OrgKind::Commune, Some(province)),
        )
        .await
        .unwrap();
        let campaign = campaigns::create(db, &actor(), &campaign_fields())
            .await
            .unwrap();
        campaigns::set_framework(db, &actor(), campaign, "commune", Some(id))
            .await
            .unwrap();
        campaigns::set_units(db, &actor(), campaign, "commune", &[commune])
            .await
            .unwrap();
        campaigns::transition(db, &actor(), campaign, CampaignState::Open, None)
            .await
            .unwrap();
        assert!(frameworks::get_row(db, id).await.unwrap().frozen);
        let refused = frameworks::replace_tree(db, &actor(), id, &corrected).await;
        assert!(matches!(
            refused,
            Err(StoreError::Setup(SetupRefusal::FrameworkFrozen))
        ));
    }
}

fn campaign_fields() -> CampaignFields {
    CampaignFields {
        year: 2025,
        title: "Chỉ số CCHC năm 2025".into(),
        appraisal_rounds: 2,
        self_assessment_deadline: Some(date(2025, 12, 15)),
        explanation_deadline: Some(date(2026, 1, 10)),
        round_deadlines: vec![Some(date(2026, 1, 5)), None],
        bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
    }
}

#[tokio::test]
async fn the_campaign_state_machine_is_enforced_by_the_store() {
    for test_db in backends().await {
        let db = &test_db.db;
        let framework = frameworks::insert(
            db,
            &actor(),
            &chiso_refdata::framework("department-2025").unwrap(),
            None,
        )
        .await
        .unwrap();
        let province = units::create(db, &actor(), &unit("T", "Tỉnh", OrgKind::Province, None))
            .await
            .unwrap();
        let department = units::create(
            db,
            &actor(),
            &unit("S", "Sở", OrgKind::Department, Some(province)),
        )
        .await
        .unwrap();
        let id = campaigns::create(db, &actor(), &campaign_fields())
            .await
            .unwrap();
        assert_eq!(campaigns::rounds(db, id).await.unwrap().len(), 2);

        // Opening without a framework or units is refused.
        let refused = campaigns::transition(db, &actor(), id, CampaignState::Open, None).await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Campaign(TransitionError::NoFramework))
            ),
            "{refused:?}"
        );
        campaigns::set_framework(db, &actor(), id, "department", Some(framework))
            .await
            .unwrap();
        let refused = campaigns::transition(db, &actor(), id, CampaignState::Open, None).await;
        assert!(matches!(
            refused,
            Err(StoreError::Campaign(TransitionError::NoUnits))
        ));
        campaigns::set_units(db, &actor(), id, "department", &[department])
            .await
            .unwrap();

        // Skipping a state is refused; every forward step works; the setup locks once open.
        let skip = campaigns::transition(db, &actor(), id, CampaignState::Finalized, None).await;
        assert!(matches!(
            skip,
            Err(StoreError::Campaign(TransitionError::NotAllowed {
                from: CampaignState::Draft,
                to: CampaignState::Finalized
            }))
        ));
        for to in [
            CampaignState::Open,
            CampaignState::Appraisal,
            CampaignState::Finalized,
            CampaignState::Published,
        ] {
            campaigns::transition(db, &actor(), id, to, Some("theo kế hoạch"))
                .await
                .unwrap();
            assert_eq!(campaigns::get(db, id).await.unwrap().state(), to);
        }
        let locked = campaigns::update(db, &actor(), id, &campaign_fields()).await;
        assert!(
            matches!(
                locked,
                Err(StoreError::CampaignSetup(
                    chiso_domain::campaign::SetupRefusal::NotDraft(_)
                ))
            ),
            "{locked:?}"
        );
        let back = campaigns::transition(db, &actor(), id, CampaignState::Draft, None).await;
        assert!(back.is_err());
        let history = audit::list(
            db,
            &AuditFilter {
                campaign_id: Some(id),
                entity_type: Some("campaign".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let transitions: Vec<_> = history
            .iter()
            .filter(|r| r.action == "transition")
            .collect();
        assert_eq!(transitions.len(), 4);
        assert_eq!(transitions[0].new_value.as_deref(), Some("published"));
        assert_eq!(transitions[0].reason.as_deref(), Some("theo kế hoạch"));
    }
}

#[tokio::test]
async fn concurrent_transitions_let_exactly_one_through() {
    for test_db in backends().await {
        let db = &test_db.db;
        let framework = frameworks::insert(
            db,
            &actor(),
            &chiso_refdata::framework("department-2025").unwrap(),
            None,
        )
        .await
        .unwrap();
        let province = units::create(db, &actor(), &unit("T", "Tỉnh", OrgKind::Province, None))
            .await
            .unwrap();
        let department = units::create(
            db,
            &actor(),
            &unit("S", "Sở", OrgKind::Department, Some(province)),
        )
        .await
        .unwrap();
        let id = campaigns::create(db, &actor(), &campaign_fields())
            .await
            .unwrap();
        campaigns::set_framework(db, &actor(), id, "department", Some(framework))
            .await
            .unwrap();
        campaigns::set_units(db, &actor(), id, "department", &[department])
            .await
            .unwrap();
        let attempts = (0..6).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                campaigns::transition(&db, &actor(), id, CampaignState::Open, None).await
            })
        });
        let mut succeeded = 0;
        for attempt in attempts {
            if attempt.await.unwrap().is_ok() {
                succeeded += 1;
            }
        }
        assert_eq!(succeeded, 1, "{:?}", test_db.backend());
        let opened = audit::list(
            db,
            &AuditFilter {
                campaign_id: Some(id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            opened.iter().filter(|r| r.action == "transition").count(),
            1
        );
    }
}

#[tokio::test]
async fn users_roles_sessions_and_lockouts() {
    for test_db in backends().await {
        let db = &test_db.db;
        let new_user = NewUser {
            username: "Can.Bo@SNV".into(),
            full_name: "Cán bộ Sở Nội vụ".into(),
            email: None,
            password_hash: "$argon2id$fake".into(),
            must_change_password: true,
        };
        let id = users::create(db, &actor(), &new_user).await.unwrap();
        let taken = users::create(db, &actor(), &new_user).await;
        assert!(matches!(
            taken,
            Err(StoreError::Setup(SetupRefusal::UsernameTaken { ref username })) if username == "can.bo@snv"
        ));
        let user = users::find_by_username(db, "can.bo@snv")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.id, id);
        assert!(user.must_change_password);

        let needs_unit = users::add_role(db, &actor(), id, Role::UnitEditor, None, &[]).await;
        assert!(matches!(
            needs_unit,
            Err(StoreError::Setup(SetupRefusal::RoleNeedsUnit {
                role: Role::UnitEditor
            }))
        ));
        let grant = users::add_role(
            db,
            &actor(),
            id,
            Role::Appraiser,
            None,
            &["1".into(), "3".into()],
        )
        .await
        .unwrap();
        let roles = users::roles(db, id).await.unwrap();
        assert_eq!(roles[0].role, Role::Appraiser);
        assert_eq!(roles[0].areas(), ["1", "3"]);

        let expires = Utc::now() + Duration::hours(8);
        users::create_session(db, "hash-a", id, "csrf-a", expires)
            .await
            .unwrap();
        users::create_session(db, "hash-b", id, "csrf-b", expires)
            .await
            .unwrap();
        assert_eq!(
            users::find_session(db, "hash-a")
                .await
                .unwrap()
                .unwrap()
                .csrf_token,
            "csrf-a"
        );
        // A password change ends the other sessions.
        users::set_password(db, &actor(), id, "$argon2id$new", false, Some("hash-a"))
            .await
            .unwrap();
        assert!(users::find_session(db, "hash-a").await.unwrap().is_some());
        assert!(users::find_session(db, "hash-b").await.unwrap().is_none());
        // Deactivation ends them all.
        users::set_active(db, &actor(), id, false).await.unwrap();
        assert!(users::find_session(db, "hash-a").await.unwrap().is_none());
        users::remove_role(db, &actor(), id, grant).await.unwrap();
        assert!(users::roles(db, id).await.unwrap().is_empty());

        let window = Duration::minutes(15);
        let lock = Utc::now() + Duration::minutes(15);
        for expected in 1..=2 {
            let reserved =
                users::reserve_login(db, "Can.Bo@snv ", "10.0.0.9", Utc::now(), window, 30)
                    .await
                    .unwrap();
            assert_eq!(reserved.address_failures, expected);
            assert_eq!(reserved.account.unwrap().failed_logins, expected);
        }
        let failed = users::LoginOutcome::Failed {
            lock_until: Some(lock),
        };
        users::finish_login(db, "can.bo@snv", "10.0.0.9", Some(id), failed)
            .await
            .unwrap();
        let locked = users::get(db, id).await.unwrap();
        assert_eq!(locked.failed_logins, 2);
        assert!(locked.locked_until.is_some());
        // Another address starts its own count; an unknown name reserves no account.
        let other = users::reserve_login(db, "nobody", "10.0.0.8", Utc::now(), window, 30)
            .await
            .unwrap();
        assert_eq!(other.address_failures, 1);
        assert!(other.account.is_none());
        // Once the lock has run out, the account's count starts again.
        let later = Utc::now() + Duration::minutes(16);
        let after_lock = users::reserve_login(db, "can.bo@snv", "10.0.0.7", later, window, 30)
            .await
            .unwrap();
        let account = after_lock.account.unwrap();
        assert_eq!(account.failed_logins, 1);
        assert!(account.locked_until.is_none());
        // So does the address's window.
        let later_address = users::reserve_login(db, "can.bo@snv", "10.0.0.9", later, window, 30)
            .await
            .unwrap();
        assert_eq!(later_address.address_failures, 1);
        // Housekeeping forgets old attempts and expired sessions.
        users::purge(db, Utc::now() + Duration::days(1))
            .await
            .unwrap();
        let fresh = users::reserve_login(db, "x", "10.0.0.8", Utc::now(), window, 30)
            .await
            .unwrap();
        assert_eq!(fresh.address_failures, 1, "the address's count was removed");
        let history = audit_rows(db, "user", id).await;
        assert!(history.iter().any(|r| r.action == "lock"));
        assert!(
            history
                .iter()
                .all(|r| !r.new_value.as_deref().unwrap_or("").contains("argon2")),
            "no hash in the log"
        );
    }
}

#[tokio::test]
async fn the_audit_log_cannot_be_rewritten_or_deleted() {
    for test_db in backends().await {
        let db = &test_db.db;
        let id = units::create(db, &actor(), &unit("T", "Tỉnh", OrgKind::Province, None))
            .await
            .unwrap();
        assert_eq!(audit_rows(db, "org_unit", id).await.len(), 1);
        let update = with_db!(db, pool => sqlx::query("UPDATE audit_log SET actor_name = 'x'").execute(pool).await.map(|_| ()));
        let delete = with_db!(db, pool => sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
        assert!(
            update.unwrap_err().to_string().contains("append-only"),
            "{:?}",
            test_db.backend()
        );
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        if test_db.backend() == Backend::Postgres {
            let truncate = with_db!(db, pool => sqlx::query("TRUNCATE audit_log").execute(pool).await.map(|_| ()));
            assert!(truncate.is_err());
        }
        assert_eq!(audit_rows(db, "org_unit", id).await.len(), 1);
    }
}

/// Parallel attempts each reserve their place before a password is checked: with 20 failures
/// already counted and a limit of 30, exactly 10 of 60 simultaneous attempts get through to a
/// check, and an account's count goes up by one per attempt (none read the same value).
#[tokio::test]
async fn parallel_login_attempts_cannot_slip_under_the_limits() {
    for test_db in backends().await {
        let db = &test_db.db;
        let id = users::create(
            db,
            &actor(),
            &NewUser {
                username: "dich.vu".into(),
                full_name: "Dịch vụ".into(),
                email: None,
                password_hash: "$argon2id$x".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        let window = Duration::minutes(15);
        for _ in 0..20 {
            users::reserve_login(db, "ai.do", "10.1.1.1", Utc::now(), window, 30)
                .await
                .unwrap();
        }
        let attempts = (0..60).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                users::reserve_login(&db, "dich.vu", "10.1.1.1", Utc::now(), window, 30)
                    .await
                    .unwrap()
            })
        });
        let mut within = Vec::new();
        for attempt in attempts {
            let reserved = attempt.await.unwrap();
            if reserved.address_failures <= 30 {
                within.push(reserved.account.expect("the account exists").failed_logins);
            } else {
                assert!(
                    reserved.account.is_none(),
                    "refused attempts reserve no account"
                );
            }
        }
        within.sort_unstable();
        assert_eq!(
            within,
            (1..=10).collect::<Vec<i64>>(),
            "{:?}",
            test_db.backend()
        );
        assert_eq!(users::get(db, id).await.unwrap().failed_logins, 10);
    }
}

/// An acknowledged write survives a power cut on SQLite: the writer syncs the WAL at every
/// commit (`synchronous=FULL`, 2), in WAL mode.
#[tokio::test]
async fn the_sqlite_writer_syncs_every_commit() {
    let test_db = chiso_store::testing::empty_sqlite().await;
    let chiso_store::Db::Sqlite(pools) = &test_db.db else {
        panic!("an SQLite database");
    };
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&pools.write)
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "FULL on the writer");
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pools.write)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}
