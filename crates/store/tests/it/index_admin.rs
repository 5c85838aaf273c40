//! The secretariat's side of the national indices on SQLite and, when reachable, PostgreSQL:
//! files held for their confirmation (the uploader's only, forgotten after a day, taken once by
//! the import), the province's targets and the agencies of an index's items, each change with
//! its audit row.

use chiso_domain::org::OrgKind;
use chiso_interchange::indices::{IndicesReport, ReadOptions, read_indices};
use chiso_interchange::table::FileKind;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::index_targets::{self, Agency, AgencyChange, TargetFields};
use chiso_store::index_uploads::{self, HeldUpload};
use chiso_store::indices::{self, ImportSource};
use chiso_store::testing::backends;
use chiso_store::users::{self, NewUser};
use chiso_store::{Actor, Db, StoreError, units};
use chrono::{Duration, Utc};

const CSV: &str = "index,year,unit_code,unit_name,measure,value,rank\n\
                   pci,2022,46,Thừa Thiên Huế,total,65.1,\n\
                   pci,2022,01,Hà Nội,total,67.2,\n";

fn report() -> IndicesReport {
    let catalogue = chiso_refdata::index_catalogue();
    let roster = chiso_refdata::province_roster();
    let options = ReadOptions {
        catalogue: &catalogue,
        roster: &roster,
        index: None,
        year: None,
    };
    read_indices("pci.csv", CSV.as_bytes(), FileKind::Csv, options).unwrap()
}

async fn user(db: &Db, name: &str) -> i64 {
    users::create(
        db,
        &Actor::system("test"),
        &NewUser {
            username: name.into(),
            full_name: format!("Người dùng {name}"),
            email: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

fn held(id: &str, user_id: i64, at: chrono::DateTime<Utc>) -> HeldUpload {
    HeldUpload {
        id: id.into(),
        user_id,
        file_name: "pci.csv".into(),
        content: CSV.as_bytes().to_vec(),
        index_choice: Some("pci".into()),
        year: None,
        source: ImportSource {
            publisher: Some("VCCI".into()),
            ..ImportSource::default()
        },
        expected: "{}".into(),
        created_at: at,
    }
}

async fn audit_of(db: &Db, entity: &str) -> Vec<audit::AuditRecord> {
    audit::list(
        db,
        &AuditFilter {
            entity_type: Some(entity.into()),
            limit: 100,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_held_file_is_its_uploaders_and_is_imported_once() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let owner = user(db, "owner").await;
        let other = user(db, "other").await;
        let now = Utc::now();
        index_uploads::hold(db, &held("abc", owner, now))
            .await
            .unwrap();
        let back = index_uploads::held(db, "abc", owner, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.content, CSV.as_bytes(), "{backend:?}");
        assert_eq!(back.source.publisher.as_deref(), Some("VCCI"));
        assert_eq!(back.index_choice.as_deref(), Some("pci"));
        // Another user does not see it; after a day nobody does.
        assert!(
            index_uploads::held(db, "abc", other, now)
                .await
                .unwrap()
                .is_none()
        );
        let later = now + Duration::hours(25);
        assert!(
            index_uploads::held(db, "abc", owner, later)
                .await
                .unwrap()
                .is_none()
        );
        // Holding another file a day later forgets the stale one.
        index_uploads::hold(db, &held("def", owner, later))
            .await
            .unwrap();
        assert!(!index_uploads::discard(db, "abc", owner).await.unwrap());
        // The import takes the held file in its transaction: a second confirmation finds none.
        let actor = Actor::user(owner, "owner");
        let report = report();
        let source = back.source.clone();
        let first = indices::import_upload(db, &actor, Some("def"), "pci.csv", &source, &report)
            .await
            .unwrap();
        assert_eq!(first.years.len(), 1, "{backend:?}");
        let again =
            indices::import_upload(db, &actor, Some("def"), "pci.csv", &source, &report).await;
        assert!(
            matches!(again, Err(StoreError::NotFound)),
            "{backend:?}: {again:?}"
        );
        assert_eq!(
            indices::year_history(db, "pci", 2022).await.unwrap().len(),
            1
        );
        // The list of versions names who imported and counts the units.
        let versions = indices::all_versions(db).await.unwrap();
        let pci = versions
            .iter()
            .find(|v| v.version.index_id == "pci")
            .unwrap();
        assert_eq!(pci.actor_full_name.as_deref(), Some("Người dùng owner"));
        assert_eq!(pci.units, 2);
        assert!(pci.version.current);
    }
}

#[tokio::test]
async fn targets_are_added_changed_and_deleted_with_their_audit_rows() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::system("test");
        let fields = TargetFields {
            index_id: "par".into(),
            year: 2025,
            target: "nhóm 10 tỉnh dẫn đầu".into(),
            document: "QĐ 3248/QĐ-UBND".into(),
        };
        let id = index_targets::add_target(db, &actor, &fields, "PAR 2025: nhóm 10")
            .await
            .unwrap();
        let mut changed = fields.clone();
        changed.target = "nhóm 5".into();
        index_targets::update_target(
            db,
            &actor,
            id,
            &changed,
            "PAR 2025: nhóm 10",
            "PAR 2025: nhóm 5",
        )
        .await
        .unwrap();
        let stored = index_targets::targets(db).await.unwrap();
        assert_eq!(stored.len(), 1, "{backend:?}");
        assert_eq!(stored[0].target, "nhóm 5");
        assert_eq!(stored[0].document, "QĐ 3248/QĐ-UBND");
        index_targets::delete_target(db, &actor, id, "PAR 2025: nhóm 5")
            .await
            .unwrap();
        assert!(index_targets::targets(db).await.unwrap().is_empty());
        assert!(matches!(
            index_targets::delete_target(db, &actor, id, "x").await,
            Err(StoreError::NotFound)
        ));
        let rows = audit_of(db, "index_target").await;
        let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["create", "update", "delete"], "{backend:?}");
        let update = rows.iter().find(|r| r.action == "update").unwrap();
        assert_eq!(update.old_value.as_deref(), Some("PAR 2025: nhóm 10"));
        assert_eq!(update.new_value.as_deref(), Some("PAR 2025: nhóm 5"));
    }
}

#[tokio::test]
async fn an_items_agencies_are_replaced_and_audited_only_when_they_change() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::system("test");
        let unit = units::create(
            db,
            &actor,
            &units::UnitFields {
                code: "S21".into(),
                name: "Sở Nội vụ".into(),
                kind: OrgKind::Department,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            },
        )
        .await
        .unwrap();
        fn change(agencies: &[Agency]) -> AgencyChange<'_> {
            AgencyChange {
                index_id: "papi",
                structure_id: "papi-2018",
                measure: "1",
                agencies,
                old_label: None,
                new_label: Some("PAPI · 1: …".into()),
            }
        }
        let both = [Agency::Kind(OrgKind::Commune), Agency::Unit(unit)];
        assert!(
            index_targets::set_agencies(db, &actor, &change(&both))
                .await
                .unwrap()
        );
        // The same agencies in another order: nothing changes, no audit row.
        let swapped = [Agency::Unit(unit), Agency::Kind(OrgKind::Commune)];
        assert!(
            !index_targets::set_agencies(db, &actor, &change(&swapped))
                .await
                .unwrap()
        );
        let stored = index_targets::agencies_of_index(db, "papi").await.unwrap();
        assert_eq!(stored.len(), 1, "{backend:?}");
        assert_eq!(stored[0].measure, "1");
        assert_eq!(
            stored[0].agencies,
            [Agency::Unit(unit), Agency::Kind(OrgKind::Commune)]
        );
        assert!(
            index_targets::set_agencies(db, &actor, &change(&[]))
                .await
                .unwrap()
        );
        assert!(
            index_targets::agencies_of_index(db, "papi")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(audit_of(db, "index_agency").await.len(), 2, "{backend:?}");
    }
}
