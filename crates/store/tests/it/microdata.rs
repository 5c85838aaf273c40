//! Single responses on SQLite and, when reachable, PostgreSQL: excluded from the index and
//! restored with the counters moved in the same transaction (counters equal a recomputation
//! after each step), the slices the export and the browsing screen read, and an export that
//! the bulk import reads back into a fresh wave with the same counters.

use chiso_domain::org::OrgKind;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::surveys::{
    self, Identity, ImportOptions, Response, ResponseFilter, ResponseStatus, ServiceFields,
    SurveyRefusal, WaveFields,
};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, StoreError};
use chiso_survey::microdata::{CsvOut, Microdata};
use chiso_survey::{Channel, Counts, Questionnaire};

const FULL: &str = r#"
id = "full"
title = "Đủ loại câu hỏi"
version = 1
[scale]
satisfied = ["4", "5"]
answers = [{ code = "1", label = "Rất không hài lòng" }, { code = "2", label = "Không hài lòng" },
           { code = "3", label = "Bình thường" }, { code = "4", label = "Hài lòng" },
           { code = "5", label = "Rất hài lòng" }]
[[factors]]
code = "F1"
title = "Tiếp cận dịch vụ"
[[items]]
code = "q1"
factor = "F1"
title = "Nơi ngồi chờ"
[[items]]
code = "q2"
factor = "F1"
title = "Trang thiết bị"
[[demographics]]
code = "sex"
title = "Giới tính"
options = [{ code = "nam", label = "Nam" }, { code = "nu", label = "Nữ" }]
[expectations]
code = "wish"
title = "Cần cải thiện"
max_choices = 2
options = [{ code = "a", label = "Thủ tục" }, { code = "b", label = "Thái độ" }, { code = "c", label = "Thời gian" }]
[comment]
code = "comment"
title = "Góp ý"
"#;

fn operator() -> Actor {
    Actor::user(7, "Thư ký khảo sát")
}

async fn unit(db: &Db, code: &str) -> i64 {
    match units::find_current_by_code(db, code, chiso_store::assessments::today_in_vietnam())
        .await
        .unwrap()
    {
        Some(u) => u.id,
        None => units::create(
            db,
            &operator(),
            &UnitFields {
                code: code.into(),
                name: format!("Phường {code}"),
                kind: OrgKind::Commune,
                parent_id: None,
                region: None,
                valid_from: None,
                valid_to: None,
            },
        )
        .await
        .unwrap(),
    }
}

/// An open wave of the "full" questionnaire over units 01 and 02, unit 01 with service DKKD.
async fn wave(db: &Db, title: &str) -> (i64, Vec<i64>, i64) {
    let q = surveys::register_toml(db, &operator(), "full.toml", FULL)
        .await
        .unwrap();
    let units = vec![unit(db, "01").await, unit(db, "02").await];
    let wave = surveys::create_wave(db, &operator(), &WaveFields::new(q, title, 2026))
        .await
        .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = units.iter().map(|&u| (u, None)).collect();
    surveys::set_units(db, &operator(), wave, &pairs)
        .await
        .unwrap();
    let service = surveys::set_service(
        db,
        &operator(),
        wave,
        units[0],
        &ServiceFields {
            code: "DKKD".into(),
            name: "Đăng ký kinh doanh".into(),
            transactions: None,
        },
    )
    .await
    .unwrap();
    surveys::open_wave(db, &operator(), wave).await.unwrap();
    (wave, units, service)
}

/// Responses with weights, demographics, expectations, comments (one a formula, one with a
/// comma and a line break), services, a respondent id, and a look-alike flagged.
async fn fill(db: &Db, wave: i64, units: &[i64], service: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..24u8 {
        let mut r = Response::new(
            [Channel::Online, Channel::Kiosk, Channel::Paper][i as usize % 3].clone(),
            vec![1 + i % 5, if i % 4 == 0 { 0 } else { 1 + (i + 2) % 5 }],
        );
        r.weight = [1.0, 0.5, 2.0][i as usize % 3];
        if i % 2 == 0 {
            r.demographics = vec![1 + i % 2 + (i / 2) % 2];
        }
        r.expectations = match i % 3 {
            0 => vec![],
            1 => vec![2],
            _ => vec![1, 3],
        };
        r.comment = match i % 5 {
            0 => Some("=1+2".into()),
            1 => Some("Nhanh, gọn\nlịch sự".into()),
            _ => None,
        };
        let unit = units[i as usize % 2];
        if unit == units[0] && i % 4 == 0 {
            r.service_id = Some(service);
        }
        let who = format!("HS-{i}");
        let identity = if i % 3 == 2 {
            Identity::Respondent(Some(&who))
        } else {
            Identity::Respondent(None)
        };
        let accepted = surveys::submit(db, wave, unit, &r, identity)
            .await
            .unwrap()
            .unwrap();
        ids.push(accepted.response_id);
    }
    // A look-alike: the same answers from the same address.
    let mut r = Response::new(Channel::Online, vec![5, 5]);
    r.source = Some("10.1.1.1".into());
    for _ in 0..2 {
        let accepted = surveys::submit(db, wave, units[1], &r, Identity::Respondent(None))
            .await
            .unwrap()
            .unwrap();
        ids.push(accepted.response_id);
    }
    ids
}

async fn totals(db: &Db, wave: i64, units: &[i64]) -> Vec<(u64, u64, Counts)> {
    surveys::counts(db, wave, units, None)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.counts.responses.n, c.flagged, c.counts))
        .collect()
}

async fn no_drift(db: &Db, wave: i64) {
    let drift = surveys::recompute_counters(db, &operator(), wave)
        .await
        .unwrap();
    assert!(drift.is_zero(), "{drift:?}");
}

#[tokio::test]
async fn an_excluded_response_leaves_the_counters_and_comes_back_when_restored() {
    for test_db in backends().await {
        let db = &test_db.db;
        let (wave, units, service) = wave(db, "Đợt 1").await;
        let ids = fill(db, wave, &units, service).await;
        let before = totals(db, wave, &units).await;
        assert_eq!((before[1].0, before[1].1), (13, 1));
        // A reason is required.
        let refused = surveys::set_excluded(db, &operator(), wave, ids[1], true, Some("  "))
            .await
            .unwrap_err();
        assert!(matches!(
            refused,
            StoreError::Survey(SurveyRefusal::ExclusionReasonEmpty)
        ));
        // Another wave's id is not found.
        assert!(matches!(
            surveys::set_excluded(db, &operator(), wave + 1000, ids[1], true, Some("x")).await,
            Err(StoreError::NotFound)
        ));
        // A counted response of unit 02 and the flagged look-alike.
        let flagged = *ids.last().unwrap();
        surveys::set_excluded(
            db,
            &operator(),
            wave,
            ids[1],
            true,
            Some("phiếu thử của cán bộ"),
        )
        .await
        .unwrap();
        surveys::set_excluded(db, &operator(), wave, flagged, true, Some("trùng"))
            .await
            .unwrap();
        // Twice is once.
        surveys::set_excluded(db, &operator(), wave, ids[1], true, Some("lần nữa"))
            .await
            .unwrap();
        let after = totals(db, wave, &units).await;
        assert_eq!(after[0], before[0], "unit 01 is untouched");
        assert_eq!((after[1].0, after[1].1), (12, 0));
        no_drift(db, wave).await;
        assert_eq!(
            surveys::excluded_counts(db, wave).await.unwrap(),
            [(units[1], 2)]
        );
        // Flagging an excluded response moves no counter.
        surveys::set_duplicate_flag(db, &operator(), ids[1], true, None)
            .await
            .unwrap();
        surveys::set_duplicate_flag(db, &operator(), ids[1], false, None)
            .await
            .unwrap();
        assert_eq!((totals(db, wave, &units).await[1].0), 12);
        no_drift(db, wave).await;
        // The slices.
        let excluded = ResponseFilter {
            status: ResponseStatus::Excluded,
            ..ResponseFilter::default()
        };
        assert_eq!(
            surveys::count_responses(db, wave, &excluded).await.unwrap(),
            2
        );
        let counted = ResponseFilter {
            status: ResponseStatus::Counted,
            ..ResponseFilter::default()
        };
        assert_eq!(
            surveys::count_responses(db, wave, &counted).await.unwrap(),
            24
        );
        let record = surveys::response_record(db, wave, ids[1]).await.unwrap();
        assert_eq!(
            record.excluded_reason.as_deref(),
            Some("phiếu thử của cán bộ")
        );
        assert_eq!(record.excluded_by.as_deref(), Some("Thư ký khảo sát"));
        assert!(!record.is_counted());
        // Restored: the counters are what they were, equal to a recomputation.
        surveys::set_excluded(db, &operator(), wave, ids[1], false, None)
            .await
            .unwrap();
        surveys::set_excluded(db, &operator(), wave, flagged, false, Some("xem lại"))
            .await
            .unwrap();
        let restored = totals(db, wave, &units).await;
        assert_eq!(restored, before);
        no_drift(db, wave).await;
        assert!(surveys::excluded_counts(db, wave).await.unwrap().is_empty());
        // Audited with the reason: exclude, restore (the reason it was excluded for).
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("survey_response".into()),
                entity_id: Some(ids[1]),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let mut actions: Vec<(&str, Option<&str>)> = rows
            .iter()
            .filter(|r| r.action != "update")
            .map(|r| (r.action.as_str(), r.reason.as_deref()))
            .collect();
        actions.sort();
        assert_eq!(
            actions,
            [
                ("exclude_response", Some("phiếu thử của cán bộ")),
                ("restore_response", Some("phiếu thử của cán bộ"))
            ]
        );
    }
}

#[tokio::test]
async fn slices_page_by_units_services_channels_and_time() {
    for test_db in backends().await {
        let db = &test_db.db;
        let (wave, units, service) = wave(db, "Đợt 1").await;
        let ids = fill(db, wave, &units, service).await;
        let all = ResponseFilter::default();
        assert_eq!(surveys::count_responses(db, wave, &all).await.unwrap(), 26);
        // Pages in id order cover every response once.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = surveys::responses_after(db, wave, &all, after, 7)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            seen.extend(page.iter().map(|r| r.id));
        }
        assert_eq!(seen, ids);
        let of = |filter: ResponseFilter| async move {
            surveys::count_responses(db, wave, &filter).await.unwrap()
        };
        assert_eq!(
            of(ResponseFilter {
                units: Some(vec![units[0]]),
                ..ResponseFilter::default()
            })
            .await,
            12
        );
        assert_eq!(
            of(ResponseFilter {
                units: Some(vec![]),
                ..ResponseFilter::default()
            })
            .await,
            0
        );
        assert_eq!(
            of(ResponseFilter {
                services: vec![service],
                ..ResponseFilter::default()
            })
            .await,
            6
        );
        assert_eq!(
            of(ResponseFilter {
                services: vec![0],
                ..ResponseFilter::default()
            })
            .await,
            20
        );
        assert_eq!(
            of(ResponseFilter {
                channels: vec!["kiosk".into(), "paper".into()],
                ..ResponseFilter::default()
            })
            .await,
            16
        );
        let now = chrono::Utc::now();
        assert_eq!(
            of(ResponseFilter {
                from: Some(now - chrono::Duration::hours(1)),
                until: Some(now + chrono::Duration::hours(1)),
                ..ResponseFilter::default()
            })
            .await,
            26
        );
        assert_eq!(
            of(ResponseFilter {
                until: Some(now - chrono::Duration::hours(1)),
                ..ResponseFilter::default()
            })
            .await,
            0
        );
        // The browsing page: newest first.
        let page = surveys::responses_page(db, wave, &all, 0, 5).await.unwrap();
        assert_eq!(page[0].id, *ids.last().unwrap());
        assert_eq!(page.len(), 5);
        let with_service = surveys::response_record(db, wave, ids[0]).await.unwrap();
        assert_eq!(with_service.service_code.as_deref(), Some("DKKD"));
        assert_eq!(with_service.unit_code, "01");
        assert!(with_service.submitted_in_vietnam().ends_with("+07:00"));
    }
}

/// Writes the slice as the web's CSV download does.
async fn export_csv(db: &Db, q: &Questionnaire, wave: i64, filter: &ResponseFilter) -> Vec<u8> {
    let microdata = Microdata::new(q);
    let mut out = CsvOut::new(&microdata, Vec::new()).unwrap();
    let mut after = 0;
    loop {
        let page = surveys::responses_after(db, wave, filter, after, 5)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in &page {
            let at = row.submitted_in_vietnam();
            out.push(&row.record(&at)).unwrap();
        }
    }
    out.finish().unwrap()
}

#[tokio::test]
async fn an_export_imports_back_into_a_fresh_wave_with_the_same_counters() {
    let q = Questionnaire::from_toml("full.toml", FULL).unwrap();
    for test_db in backends().await {
        let db = &test_db.db;
        let (first, units, service) = wave(db, "Đợt 1").await;
        let ids = fill(db, first, &units, service).await;
        surveys::set_excluded(db, &operator(), first, ids[3], true, Some("phiếu hỏng"))
            .await
            .unwrap();
        // Every response, flags and exclusions included, is in the full export.
        let everything = export_csv(db, &q, first, &ResponseFilter::default()).await;
        let text = String::from_utf8(everything).unwrap();
        assert_eq!(text.matches("\r\n").count(), 1 + 26, "{text}");
        assert!(text.contains(",0,1,phiếu hỏng\r\n"), "{text}");
        assert!(text.contains("'=1+2"), "a formula is neutralised: {text}");
        // What the index counts, imported into a fresh wave: the same counters.
        let counted = ResponseFilter {
            status: ResponseStatus::Counted,
            ..ResponseFilter::default()
        };
        let csv = export_csv(db, &q, first, &counted).await;
        let (second, _, _) = wave(db, "Đợt 2").await;
        let rows = surveys::CsvRows::new(&q, &csv[..]).unwrap();
        assert!(rows.warnings().iter().any(|w| w.contains("response_id")));
        let report = surveys::import_responses(
            db,
            &operator(),
            second,
            rows,
            &ImportOptions::new("du-lieu.csv"),
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert!(report.stored, "{:?}", report.rejections);
        assert_eq!(report.accepted, 24);
        let a = totals(db, first, &units).await;
        let b = totals(db, second, &units).await;
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.0, y.0);
            assert_eq!(x.2, y.2, "the same counters");
        }
        // Per service too.
        let slice = surveys::Slice::service(service);
        let second_service = surveys::services(db, second, Some(units[0])).await.unwrap()[0].id;
        let a = surveys::counts_of_slice(db, first, &[units[0]], &slice)
            .await
            .unwrap();
        let b = surveys::counts_of_slice(
            db,
            second,
            &[units[0]],
            &surveys::Slice::service(second_service),
        )
        .await
        .unwrap();
        assert_eq!(a[0].counts, b[0].counts);
        assert!(a[0].counts.responses.n > 0);
        // The import's rows read back as exported (the import stores rows with a respondent
        // id after the others, so in another order).
        let again = export_csv(db, &q, second, &ResponseFilter::default()).await;
        let strip = |csv: &[u8]| -> Vec<String> {
            String::from_utf8(csv.to_vec())
                .unwrap()
                .split("\r\n")
                .map(|line| line.split(',').take(8).collect::<Vec<_>>().join(","))
                .collect::<std::collections::BTreeSet<String>>()
                .into_iter()
                .collect()
        };
        assert_eq!(strip(&again), strip(&csv));
    }
}
