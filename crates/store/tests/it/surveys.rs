//! Survey storage on SQLite and, when reachable, PostgreSQL: tokens answered exactly
//! once (also under concurrency), closed waves, wrong units, duplicate respondents, flagged
//! look-alike submissions, counters equal to a recomputation from the raw rows, bulk imports
//! all or nothing or skipping bad rows, the index from counters equal to the survey crate's
//! streaming computation, target sample sizes, and survey leaves filled in a PAR campaign.

use chiso_domain::campaign::CampaignState;
use chiso_domain::org::OrgKind;
use chiso_domain::wave::WaveTransitionError;
use chiso_domain::{Points, evaluate};
use chiso_store::assessments as sheets;
use chiso_store::audit::{self, AuditFilter};
use chiso_store::campaigns::{self, CampaignFields};
use chiso_store::surveys::{
    self, Identity, ImportOptions, ImportRow, Refusal, Response, RowRejection, WaveFields,
};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, StoreError, frameworks, with_db};
use chiso_survey::generate::{GenerateOptions, write_responses};
use chiso_survey::{Channel, Questionnaire, bundled, index_from_counts, read_csv};
use chrono::Days;

fn operator() -> Actor {
    Actor::user(7, "Thư ký khảo sát")
}

fn unit_fields(code: &str, kind: OrgKind) -> UnitFields {
    UnitFields {
        code: code.into(),
        name: format!("Đơn vị {code}"),
        kind,
        parent_id: None,
        region: None,
        valid_from: None,
        valid_to: None,
    }
}

/// An open wave on a bundled questionnaire over units with the given codes (created here).
struct Wave {
    id: i64,
    units: Vec<i64>,
    questionnaire: Questionnaire,
}

async fn wave_on(db: &Db, questionnaire: &str, codes: &[&str], kind: OrgKind) -> Wave {
    let questionnaire_id = surveys::register_bundled(db, &operator(), questionnaire)
        .await
        .unwrap();
    let mut units = Vec::new();
    for code in codes {
        let id = match units::find_current_by_code(db, code, sheets::today_in_vietnam())
            .await
            .unwrap()
        {
            Some(unit) => unit.id,
            None => units::create(db, &operator(), &unit_fields(code, kind))
                .await
                .unwrap(),
        };
        units.push(id);
    }
    let id = surveys::create_wave(
        db,
        &operator(),
        &WaveFields::new(questionnaire_id, "Khảo sát quý 4", 2025),
    )
    .await
    .unwrap();
    let pairs: Vec<(i64, Option<i64>)> = units.iter().map(|&u| (u, Some(1_000))).collect();
    surveys::set_units(db, &operator(), id, &pairs)
        .await
        .unwrap();
    surveys::open_wave(db, &operator(), id).await.unwrap();
    Wave {
        id,
        units,
        questionnaire: bundled(questionnaire).unwrap(),
    }
}

/// A SIPAS response: every item answered `value`.
fn sipas(value: u8) -> Response {
    Response::new(Channel::Online, vec![value; 23])
}

async fn accepted(db: &Db, wave: i64, unit: i64, response: &Response, who: Identity<'_>) -> i64 {
    surveys::submit(db, wave, unit, response, who)
        .await
        .unwrap()
        .unwrap()
        .response_id
}

async fn refused(db: &Db, wave: i64, unit: i64, response: &Response, who: Identity<'_>) -> Refusal {
    surveys::submit(db, wave, unit, response, who)
        .await
        .unwrap()
        .unwrap_err()
}

async fn response_count(db: &Db) -> i64 {
    with_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM responses")
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn counted(db: &Db, wave: i64, unit: i64) -> (u64, u64) {
    let c = surveys::counts(db, wave, &[unit], None).await.unwrap();
    (c[0].counts.responses.n, c[0].flagged)
}

#[tokio::test]
async fn target_samples_follow_the_declared_transactions() {
    assert_eq!(surveys::target_sample(1_000, 0.05), 286);
    assert_eq!(surveys::target_sample(10_000, 0.05), 385);
    assert_eq!(surveys::target_sample(400, 0.05), 200);
    assert_eq!(surveys::target_sample(0, 0.05), 0);
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02", "03"], OrgKind::Province).await;
        surveys::set_units(
            db,
            &operator(),
            wave.id,
            &[(wave.units[1], Some(10_000)), (wave.units[2], None)],
        )
        .await
        .unwrap();
        let rows = surveys::wave_units(db, wave.id).await.unwrap();
        let targets: Vec<(Option<i64>, Option<i64>)> = rows
            .iter()
            .map(|r| (r.transactions, r.target_sample))
            .collect();
        assert_eq!(
            targets,
            [
                (Some(1_000), Some(286)),
                (Some(10_000), Some(385)),
                (None, None)
            ]
        );
        assert!(rows[0].below_target());
        assert!(!rows[2].below_target());
        // Every short link is distinct and leads back to its wave and unit.
        for row in &rows {
            assert_eq!(row.slug.len(), 8);
            assert_eq!(
                surveys::find_slug(db, &row.slug).await.unwrap(),
                Some((wave.id, row.unit_id))
            );
        }
        // Setting the same N again writes nothing; each change is audited.
        let before = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .len();
        surveys::set_units(db, &operator(), wave.id, &[(wave.units[0], Some(1_000))])
            .await
            .unwrap();
        let after = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(after.len(), before);
        // create, 3 units, open, 2 changes of N
        assert_eq!(after.len(), 7, "{after:#?}");
    }
}

#[tokio::test]
async fn a_token_is_answered_exactly_once() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        let tokens = surveys::issue_tokens(db, &operator(), wave.id, wave.units[0], 20)
            .await
            .unwrap();
        assert_eq!(tokens.len(), 20);
        assert_eq!(
            tokens
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            20
        );
        // Only hashes are stored.
        let stored: Vec<String> = with_db!(db, pool => sqlx::query_scalar("SELECT token_hash FROM survey_tokens")
            .fetch_all(pool).await.unwrap());
        assert!(!stored.contains(&tokens[0]));

        // Sequential: the second answer is refused and nothing more is stored or counted.
        let id = accepted(
            db,
            wave.id,
            wave.units[0],
            &sipas(5),
            Identity::Token(&tokens[0]),
        )
        .await;
        assert_eq!(
            refused(
                db,
                wave.id,
                wave.units[0],
                &sipas(4),
                Identity::Token(&tokens[0])
            )
            .await,
            Refusal::TokenUsed
        );
        let info = surveys::find_token(db, &tokens[0]).await.unwrap().unwrap();
        assert_eq!(info.response_id, Some(id));
        assert!(info.used_at.is_some());
        assert_eq!(
            surveys::get_response(db, id).await.unwrap().token_id,
            Some(info.id)
        );
        // A token of another unit, or made up, is unknown.
        assert_eq!(
            refused(
                db,
                wave.id,
                wave.units[1],
                &sipas(4),
                Identity::Token(&tokens[1])
            )
            .await,
            Refusal::UnknownToken
        );
        assert_eq!(
            refused(
                db,
                wave.id,
                wave.units[0],
                &sipas(4),
                Identity::Token("khong-co-that")
            )
            .await,
            Refusal::UnknownToken
        );

        // Concurrent: 16 submissions race on each of 3 tokens, exactly one wins each.
        let mut handles = Vec::new();
        for token in &tokens[1..4] {
            for _ in 0..16 {
                let db = db.clone();
                let token = token.clone();
                let (wave_id, unit) = (wave.id, wave.units[0]);
                handles.push(tokio::spawn(async move {
                    surveys::submit(&db, wave_id, unit, &sipas(3), Identity::Token(&token))
                        .await
                        .unwrap()
                }));
            }
        }
        let mut wins = 0;
        for handle in handles {
            match handle.await.unwrap() {
                Ok(_) => wins += 1,
                Err(refusal) => assert_eq!(refusal, Refusal::TokenUsed),
            }
        }
        assert_eq!(wins, 3);
        assert_eq!(response_count(db).await, 4);
        assert_eq!(counted(db, wave.id, wave.units[0]).await, (4, 0));
        assert_eq!(
            surveys::token_counts(db, wave.id, wave.units[0])
                .await
                .unwrap(),
            (20, 4)
        );
        // Issuing is audited once per issue, with the count.
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert!(
            rows.iter()
                .any(|r| r.action == "issue_tokens" && r.new_value.as_deref() == Some("20"))
        );
    }
}

#[tokio::test]
async fn closed_waves_dates_wrong_units_and_bad_answers_are_refused() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        let outsider = units::create(db, &operator(), &unit_fields("99", OrgKind::Province))
            .await
            .unwrap();
        let anyone = Identity::Respondent(None);
        assert_eq!(
            refused(db, wave.id, outsider, &sipas(5), anyone).await,
            Refusal::UnitNotInWave
        );
        assert_eq!(
            refused(db, wave.id + 100, wave.units[0], &sipas(5), anyone).await,
            Refusal::UnknownWave
        );
        let mut bad = sipas(5);
        bad.answers[4] = 6;
        assert_eq!(
            refused(db, wave.id, wave.units[0], &bad, anyone).await,
            Refusal::Shape(surveys::ShapeFault::Answer {
                item: 4,
                code: "c05".into(),
                value: 6,
                values: 5
            })
        );
        bad.answers.pop();
        assert_eq!(
            refused(db, wave.id, wave.units[0], &bad, anyone).await,
            Refusal::Shape(surveys::ShapeFault::AnswerCount {
                found: 22,
                expected: 23
            })
        );
        let mut heavy = sipas(5);
        heavy.weight = 0.0;
        assert!(matches!(
            refused(db, wave.id, wave.units[0], &heavy, anyone).await,
            Refusal::Fault(chiso_survey::Fault::Weight { .. })
        ));
        // An expectation area the questionnaire does not have is refused.
        let mut wishes = sipas(5);
        wishes.expectations = vec![99];
        assert!(matches!(
            refused(db, wave.id, wave.units[0], &wishes, anyone).await,
            Refusal::Shape(surveys::ShapeFault::Expectation { area: 99, .. })
        ));
        accepted(db, wave.id, wave.units[0], &sipas(5), anyone).await;

        // Closed: refused, and a draft is not open either.
        surveys::close_wave(db, &operator(), wave.id).await.unwrap();
        assert_eq!(
            refused(db, wave.id, wave.units[0], &sipas(5), anyone).await,
            Refusal::WaveNotOpen(surveys::WaveState::Closed)
        );
        assert!(matches!(
            surveys::close_wave(db, &operator(), wave.id).await,
            Err(StoreError::Wave(WaveTransitionError::NotAllowed { .. }))
        ));
        let questionnaire = surveys::latest_questionnaire(db, "sipas-2017")
            .await
            .unwrap()
            .unwrap();
        let today = sheets::today_in_vietnam();
        let mut fields = WaveFields::new(questionnaire.id, "Đợt sau", 2026);
        fields.opens_on = Some(today + Days::new(3));
        let later = surveys::create_wave(db, &operator(), &fields)
            .await
            .unwrap();
        assert!(matches!(
            surveys::open_wave(db, &operator(), later).await,
            Err(StoreError::Wave(WaveTransitionError::NoUnits))
        ));
        surveys::set_units(db, &operator(), later, &[(wave.units[0], None)])
            .await
            .unwrap();
        assert_eq!(
            refused(db, later, wave.units[0], &sipas(5), anyone).await,
            Refusal::WaveNotOpen(surveys::WaveState::Draft)
        );
        surveys::open_wave(db, &operator(), later).await.unwrap();
        assert_eq!(
            refused(db, later, wave.units[0], &sipas(5), anyone).await,
            Refusal::NotYetOpen(today + Days::new(3))
        );
        fields.opens_on = None;
        fields.closes_on = Some(today - Days::new(1));
        let past = surveys::create_wave(db, &operator(), &fields)
            .await
            .unwrap();
        surveys::set_units(db, &operator(), past, &[(wave.units[0], None)])
            .await
            .unwrap();
        surveys::open_wave(db, &operator(), past).await.unwrap();
        assert_eq!(
            refused(db, past, wave.units[0], &sipas(5), anyone).await,
            Refusal::AlreadyClosed(today - Days::new(1))
        );
        assert_eq!(response_count(db).await, 1);
        // The transitions are audited.
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let states: Vec<_> = rows
            .iter()
            .filter(|r| r.action == "transition")
            .map(|r| r.new_value.clone().unwrap())
            .collect();
        assert_eq!(states, ["closed", "open"]);
    }
}

#[tokio::test]
async fn a_repeated_respondent_id_is_a_duplicate_and_is_not_counted() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        accepted(
            db,
            wave.id,
            wave.units[0],
            &sipas(5),
            Identity::Respondent(Some("CD-001")),
        )
        .await;
        assert_eq!(
            refused(
                db,
                wave.id,
                wave.units[0],
                &sipas(1),
                Identity::Respondent(Some(" CD-001 "))
            )
            .await,
            Refusal::DuplicateRespondent
        );
        // The same id in another unit is another respondent.
        accepted(
            db,
            wave.id,
            wave.units[1],
            &sipas(1),
            Identity::Respondent(Some("CD-001")),
        )
        .await;
        // Concurrent repeats: one wins.
        let mut handles = Vec::new();
        for _ in 0..12 {
            let db = db.clone();
            let (wave_id, unit) = (wave.id, wave.units[0]);
            handles.push(tokio::spawn(async move {
                surveys::submit(
                    &db,
                    wave_id,
                    unit,
                    &sipas(4),
                    Identity::Respondent(Some("CD-002")),
                )
                .await
                .unwrap()
            }));
        }
        let mut wins = 0;
        for handle in handles {
            if handle.await.unwrap().is_ok() {
                wins += 1;
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(counted(db, wave.id, wave.units[0]).await, (2, 0));
        let result = surveys::result(db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        assert_eq!(result.responses, 2);
        assert_eq!(result.index, Some(100.0));
    }
}

/// Ids are compared in their normal form, and the anonymous public form's ids cannot take a
/// kiosk's or a paper form's: a visitor typing someone's dossier number blocks nobody.
#[tokio::test]
async fn respondent_ids_compare_normalised_and_public_ones_cannot_squat() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01"], OrgKind::Province).await;
        let unit = wave.units[0];
        // A visitor squats the dossier number first.
        accepted(
            db,
            wave.id,
            unit,
            &sipas(1),
            Identity::PublicRespondent(Some("HS-2026-000123")),
        )
        .await;
        // The real answer from the counter still goes in.
        accepted(
            db,
            wave.id,
            unit,
            &sipas(5),
            Identity::Respondent(Some("HS-2026-000123")),
        )
        .await;
        // The same number however typed is the same respondent, in either namespace.
        for typed in [
            "hs-2026-000123",
            "ＨＳ－２０２６－０００１２３",
            " HS\u{2013}2026-000123",
        ] {
            for identity in [
                Identity::Respondent(Some(typed)),
                Identity::PublicRespondent(Some(typed)),
            ] {
                assert_eq!(
                    refused(db, wave.id, unit, &sipas(3), identity).await,
                    Refusal::DuplicateRespondent,
                    "{typed:?} {:?}",
                    test_db.backend()
                );
            }
        }
        assert_eq!(counted(db, wave.id, unit).await, (2, 0));
        let stored: Vec<String> = with_db!(db, pool => sqlx::query_scalar(
            "SELECT respondent_id FROM responses WHERE respondent_id IS NOT NULL")
            .fetch_all(pool).await.unwrap());
        assert!(stored.iter().all(|id| id == "HS-2026-000123"), "{stored:?}");
    }
}

/// A kiosk is one device that people answer on one after another: the same answer twice in a
/// minute is two citizens, counted both times.
#[tokio::test]
async fn repeated_answers_from_a_kiosk_are_all_counted() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "kiosk-2025", &["01"], OrgKind::Department).await;
        let unit = wave.units[0];
        let (device, _) = surveys::create_device(db, &operator(), unit, None, "Quầy 1")
            .await
            .unwrap();
        for _ in 0..3 {
            let response = Response {
                source: Some(format!("device:{device}")),
                device_id: Some(device),
                ..Response::new(Channel::Kiosk, vec![5])
            };
            let outcome = surveys::submit(db, wave.id, unit, &response, Identity::Respondent(None))
                .await
                .unwrap()
                .unwrap();
            assert!(!outcome.flagged_duplicate, "{:?}", test_db.backend());
        }
        assert_eq!(counted(db, wave.id, unit).await, (3, 0));
    }
}

#[tokio::test]
async fn look_alike_submissions_are_kept_flagged_and_not_counted() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "kiosk-2025", &["01"], OrgKind::Department).await;
        let unit = wave.units[0];
        let from = |answer: u8, source: &str| Response {
            source: Some(source.to_string()),
            ..Response::new(Channel::Kiosk, vec![answer])
        };
        let anyone = Identity::Respondent(None);
        let first = surveys::submit(db, wave.id, unit, &from(5, "10.0.0.1"), anyone)
            .await
            .unwrap()
            .unwrap();
        assert!(!first.flagged_duplicate);
        let again = surveys::submit(db, wave.id, unit, &from(5, "10.0.0.1"), anyone)
            .await
            .unwrap()
            .unwrap();
        assert!(again.flagged_duplicate);
        // Other answers, or another address, are not duplicates.
        for response in [from(2, "10.0.0.1"), from(5, "10.0.0.2")] {
            let outcome = surveys::submit(db, wave.id, unit, &response, anyone)
                .await
                .unwrap()
                .unwrap();
            assert!(!outcome.flagged_duplicate);
        }
        // A respondent id is its own identity: never flagged.
        let named = surveys::submit(
            db,
            wave.id,
            unit,
            &from(5, "10.0.0.1"),
            Identity::Respondent(Some("A")),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(!named.flagged_duplicate);
        assert_eq!(counted(db, wave.id, unit).await, (4, 1));
        assert!(
            surveys::get_response(db, again.response_id)
                .await
                .unwrap()
                .flagged_duplicate
        );
        // The address itself is never stored.
        let sources: Vec<Option<String>> = with_db!(db, pool => sqlx::query_scalar("SELECT source_hash FROM responses")
            .fetch_all(pool).await.unwrap());
        assert!(
            sources
                .iter()
                .flatten()
                .all(|s| s.len() == 64 && !s.contains("10.0"))
        );
        // An operator counts it after all: the counters move, audited; and back.
        surveys::set_duplicate_flag(
            db,
            &operator(),
            again.response_id,
            false,
            Some("hai người dùng chung máy"),
        )
        .await
        .unwrap();
        assert_eq!(counted(db, wave.id, unit).await, (5, 0));
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );
        surveys::set_duplicate_flag(db, &operator(), again.response_id, true, None)
            .await
            .unwrap();
        assert_eq!(counted(db, wave.id, unit).await, (4, 1));
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("survey_response".into()),
                entity_id: Some(again.response_id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].reason.as_deref(), Some("hai người dùng chung máy"));
    }
}

fn row(row: u64, unit: &str, respondent: Option<&str>, answers: Vec<u8>) -> ImportRow {
    ImportRow {
        row,
        unit_code: unit.into(),
        respondent_id: respondent.map(str::to_string),
        channel: "paper".into(),
        weight: 1.0,
        answers,
        demographics: Vec::new(),
        expectations: Vec::new(),
        comment: None,
        service: None,
    }
}

#[tokio::test]
async fn counters_equal_a_recomputation_and_drift_is_reported_and_repaired() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "leader-2020", &["01", "02", "03"], OrgKind::Province).await;
        let items = wave.questionnaire.items.len();
        // Submissions with weights, demographics and comments, and an import.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        for i in 0..60 {
            let mut response = Response::new(
                if i % 3 == 0 {
                    Channel::parse("Online")
                } else {
                    Channel::Paper
                },
                (0..items).map(|_| next() % 6).collect(),
            );
            response.weight = [1.0, 0.5, 2.25][i % 3];
            response.demographics = wave
                .questionnaire
                .demographics
                .iter()
                .map(|d| next() % (d.options.len() as u8 + 1))
                .collect();
            response.comment = (i % 4 == 0).then(|| "Cần rút ngắn thời gian".to_string());
            accepted(
                db,
                wave.id,
                wave.units[i % 3],
                &response,
                Identity::Respondent(None),
            )
            .await;
        }
        let rows: Vec<Result<ImportRow, RowRejection>> = (0..500)
            .map(|i| {
                Ok(row(
                    i + 2,
                    ["01", "02", "03"][i as usize % 3],
                    Some(&format!("P{i}")),
                    (0..items).map(|_| next() % 6).collect(),
                ))
            })
            .collect();
        let report = surveys::import_responses(
            db,
            &operator(),
            wave.id,
            rows,
            &ImportOptions {
                batch_size: 64,
                ..ImportOptions::new("giay.csv")
            },
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(report.accepted, 500);
        let drift = surveys::recompute_counters(db, &operator(), wave.id)
            .await
            .unwrap();
        assert_eq!(drift.responses, 560);
        assert!(drift.is_zero(), "{drift:?}");

        // Damage the counters: the recomputation finds it and repairs it.
        with_db!(db, pool => {
            sqlx::query("UPDATE answer_stats SET n = n + 5 WHERE wave_id = $1 AND item = 0 AND value = 1")
                .bind(wave.id).execute(pool).await.unwrap();
            sqlx::query("DELETE FROM demographic_stats WHERE wave_id = $1 AND question = 0")
                .bind(wave.id).execute(pool).await.unwrap();
        });
        let before = surveys::counts(db, wave.id, &[], None).await.unwrap();
        let drift = surveys::recompute_counters(db, &operator(), wave.id)
            .await
            .unwrap();
        assert!(drift.cells_differing >= 4, "{drift:?}");
        assert!(drift.n_difference >= 15, "{drift:?}");
        let after = surveys::counts(db, wave.id, &[], None).await.unwrap();
        assert_ne!(before, after);
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );
        // Each recomputation is audited with what it found.
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            rows.iter()
                .filter(|r| r.action == "recompute_counters")
                .count(),
            3
        );
        // The counters of one channel, and of all, are consistent.
        let all = surveys::counts(db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        let online = surveys::counts(
            db,
            wave.id,
            &[wave.units[0]],
            Some(&Channel::parse("ONLINE")),
        )
        .await
        .unwrap();
        let paper = surveys::counts(db, wave.id, &[wave.units[0]], Some(&Channel::Paper))
            .await
            .unwrap();
        assert_eq!(
            online[0].counts.responses.n + paper[0].counts.responses.n,
            all[0].counts.responses.n
        );
        assert_eq!(
            surveys::channels(db, wave.id).await.unwrap(),
            [Channel::Online, Channel::Paper]
        );
    }
}

/// A generated responses.csv with some bad rows appended.
fn csv_with_bad_rows(questionnaire: &Questionnaire, rows: u64, units: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_responses(
        questionnaire,
        &GenerateOptions {
            rows,
            units,
            seed: 2026,
            weighted: true,
        },
        &mut bytes,
    )
    .unwrap();
    let blanks = ",".repeat(questionnaire.items.len() - 1);
    // Row numbers: header 1, data 2..=rows+1, then these.
    bytes.extend_from_slice(format!("01,X1,paper,1,7{blanks}\n").as_bytes());
    let ok = &questionnaire.scale.answers[0].code;
    bytes.extend_from_slice(format!(",X2,paper,1,{ok}{blanks}\n").as_bytes());
    bytes.extend_from_slice(format!("01,X3,paper,abc,{ok}{blanks}\n").as_bytes());
    bytes.extend_from_slice(b"01,X4,paper\n");
    // The first data row's respondent again, in its unit.
    let first = String::from_utf8_lossy(&bytes)
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let unit = first.split(',').next().unwrap().to_string();
    bytes.extend_from_slice(format!("{unit},R1,paper,1,{ok}{blanks}\n").as_bytes());
    bytes
}

/// JSON values equal up to float rounding in the last digits.
fn assert_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "{path}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_close(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, p) in x {
                assert_close(p, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[tokio::test]
async fn the_index_from_counters_equals_the_streaming_computation() {
    for test_db in backends().await {
        let db = &test_db.db;
        for (name, codes) in [
            ("sipas-2017", vec!["01", "02", "03", "04", "05"]),
            ("leader-2020", vec!["01", "02", "03"]),
        ] {
            let wave = wave_on(db, name, &codes, OrgKind::Province).await;
            let q = &wave.questionnaire;
            let bytes = csv_with_bad_rows(q, 3_000, codes.len() as u32);
            let streamed = read_csv(q, "responses.csv", &bytes[..]).unwrap();
            assert_eq!(streamed.rejected.len(), 5);
            let mut calls = Vec::new();
            let report = surveys::import_responses(
                db,
                &operator(),
                wave.id,
                surveys::CsvRows::new(q, &bytes[..]).unwrap(),
                &ImportOptions {
                    skip_bad_rows: true,
                    total_rows: Some(3_005),
                    batch_size: 1_000,
                    ..ImportOptions::new("responses.csv")
                },
                &mut |done, total| calls.push((done, total)),
            )
            .await
            .unwrap();
            assert_eq!(report.accepted, streamed.accepted());
            assert_eq!(report.rows_read, streamed.rows);
            // The same rows are rejected for the same reasons (the repeated R1 is caught by the
            // database, not in its batch, so its reason says it was stored before).
            let ours: Vec<(u64, String)> = report
                .rejections
                .iter()
                .map(|r| (r.row, r.reason.to_string()))
                .collect();
            let theirs: Vec<(u64, String)> = streamed
                .rejected
                .iter()
                .map(|r| (r.row, r.reason.to_string()))
                .collect();
            assert_eq!(ours[..4], theirs[..4]);
            assert_eq!(ours[4].0, theirs[4].0);
            assert!(ours[4].1.starts_with("respondent_id R1 repeated in unit"));
            assert_eq!(calls.last(), Some(&(3_005, Some(3_005))));
            assert_eq!(calls.len(), 4);

            for (unit_id, code) in wave.units.iter().zip(&codes) {
                let ours = surveys::result(db, wave.id, &[*unit_id], None)
                    .await
                    .unwrap();
                let theirs = index_from_counts(q, &streamed.unit(q, code));
                assert_close(
                    &serde_json::to_value(&ours).unwrap(),
                    &serde_json::to_value(&theirs).unwrap(),
                    &format!("{name} unit {code}"),
                );
                assert!(ours.index.is_some());
            }
            let group = surveys::result(db, wave.id, &wave.units[..2], None)
                .await
                .unwrap();
            let theirs = index_from_counts(q, &streamed.group_of_units(q, &[codes[0], codes[1]]));
            assert_close(
                &serde_json::to_value(&group).unwrap(),
                &serde_json::to_value(&theirs).unwrap(),
                "group",
            );
            let everyone = surveys::result(db, wave.id, &[], None).await.unwrap();
            assert_close(
                &serde_json::to_value(&everyone).unwrap(),
                &serde_json::to_value(index_from_counts(q, &streamed.all(q))).unwrap(),
                "all",
            );
        }
    }
}

#[tokio::test]
async fn a_bulk_import_is_all_or_nothing_unless_bad_rows_are_skipped() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        let good = |i: u64| Ok(row(i, "01", Some(&format!("G{i}")), vec![4; 23]));
        let rows = || -> Vec<Result<ImportRow, RowRejection>> {
            let mut rows: Vec<_> = (2..40).map(good).collect();
            rows.push(Err(RowRejection {
                row: 40,
                reason: chiso_survey::Fault::Answer {
                    item: 4,
                    code: "c05".into(),
                    value: "7".into(),
                    expected: "1-5".into(),
                },
            }));
            rows.push(Ok(row(41, "77", None, vec![4; 23])));
            rows.push(Ok(row(42, "01", Some("G2"), vec![4; 23])));
            rows.push(Ok(row(43, "02", Some("G2"), vec![4; 23])));
            rows.extend((44..60).map(good));
            rows
        };
        // All or nothing: nothing stored, every bad row reported in order.
        let report = surveys::import_responses(
            db,
            &operator(),
            wave.id,
            rows(),
            &ImportOptions {
                batch_size: 10,
                ..ImportOptions::new("phieu.csv")
            },
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert!(!report.stored);
        assert_eq!(report.accepted, 0);
        assert_eq!(report.rows_read, 58);
        let rejected: Vec<u64> = report.rejections.iter().map(|r| r.row).collect();
        assert_eq!(rejected, [40, 41, 42]);
        assert_eq!(
            report.rejections[1].reason.to_string(),
            "unit_code 77 is not in this survey"
        );
        assert_eq!(response_count(db).await, 0);
        assert_eq!(counted(db, wave.id, wave.units[0]).await, (0, 0));

        // Skipping bad rows: the good ones are stored and counted.
        let report = surveys::import_responses(
            db,
            &operator(),
            wave.id,
            rows(),
            &ImportOptions {
                batch_size: 10,
                skip_bad_rows: true,
                ..ImportOptions::new("phieu.csv")
            },
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert!(report.stored);
        assert_eq!(report.accepted, 55);
        assert_eq!(report.rejected, 3);
        assert_eq!(response_count(db).await, 55);
        assert_eq!(counted(db, wave.id, wave.units[0]).await, (54, 0));
        assert_eq!(counted(db, wave.id, wave.units[1]).await, (1, 0));

        // The same file again: every respondent is already stored, so an all-or-nothing
        // import stores nothing and a skipping one nothing new.
        let again = surveys::import_responses(
            db,
            &operator(),
            wave.id,
            (2..40).map(good).collect::<Vec<_>>(),
            &ImportOptions::new("phieu.csv"),
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert!(!again.stored);
        assert_eq!(again.rejected, 38);
        assert_eq!(response_count(db).await, 55);
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );

        // One import row and one audit row per import, with the counts.
        let imports = surveys::imports(db, wave.id).await.unwrap();
        let states: Vec<(&str, i64, i64)> = imports
            .iter()
            .map(|i| (i.state.as_str(), i.accepted, i.rejected))
            .collect();
        assert_eq!(
            states,
            [("failed", 0, 38), ("done", 55, 3), ("failed", 0, 3)]
        );
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let imports: Vec<&str> = rows
            .iter()
            .filter(|r| r.action == "import")
            .map(|r| r.new_value.as_deref().unwrap())
            .collect();
        assert_eq!(imports.len(), 3);
        assert_eq!(
            surveys::ImportSummary::from_value(imports[1]),
            Some(surveys::ImportSummary {
                file: "phieu.csv".into(),
                read: 58,
                accepted: 55,
                rejected: 3,
                stored: true,
            })
        );

        // A draft wave takes no import.
        let draft = surveys::create_wave(
            db,
            &operator(),
            &WaveFields::new(
                surveys::latest_questionnaire(db, "sipas-2017")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                "Nháp",
                2026,
            ),
        )
        .await
        .unwrap();
        assert!(matches!(
            surveys::import_responses(
                db,
                &operator(),
                draft,
                Vec::new(),
                &ImportOptions::new("x.csv"),
                &mut |_, _| {}
            )
            .await,
            Err(StoreError::Survey(surveys::SurveyRefusal::ImportIntoDraft))
        ));
    }
}

#[tokio::test]
async fn csv_rows_carry_demographics_expectations_and_comments() {
    // A questionnaire with every kind of question, read row by row like the survey crate.
    let text = r#"
id = "full"
title = "Đủ loại câu hỏi"
version = 1
[scale]
satisfied = ["4", "5"]
answers = [{ code = "1", label = "a" }, { code = "2", label = "b" }, { code = "3", label = "c" },
           { code = "4", label = "d" }, { code = "5", label = "e" }]
[[factors]]
code = "F1"
title = "f"
[[items]]
code = "q1"
factor = "F1"
title = "t"
[[items]]
code = "q2"
factor = "F1"
title = "t"
[[demographics]]
code = "sex"
title = "Giới tính"
options = [{ code = "nam", label = "Nam" }, { code = "nu", label = "Nữ" }]
[expectations]
code = "wish"
title = "Cần cải thiện"
max_choices = 2
options = [{ code = "a", label = "A" }, { code = "b", label = "B" }, { code = "c", label = "C" }]
[comment]
code = "comment"
title = "Góp ý"
"#;
    let q = Questionnaire::from_toml("full.toml", text).unwrap();
    let csv = "unit_code,respondent_id,channel,weight,q1,q2,sex,wish,comment,extra\n\
               01,a,online,2,5,,nu,a;c,\"Tốt, nhanh\",x\n\
               \n\
               01,b,online,,3,4,,,,\n\
               01,c,online,,3,4,khac,,,\n\
               01,d,online,,3,4,,a;b;c,,\n";
    let mut rows = surveys::CsvRows::new(&q, csv.as_bytes()).unwrap();
    assert_eq!(
        rows.warnings(),
        ["column 'extra' is not a question of full: ignored"]
    );
    let first = rows.next().unwrap().unwrap();
    assert_eq!(first.row, 2);
    assert_eq!(first.answers, [5, 0]);
    assert_eq!(first.demographics, [2]);
    assert_eq!(first.expectations, [1, 3]);
    assert_eq!(first.comment.as_deref(), Some("Tốt, nhanh"));
    assert_eq!(first.weight, 2.0);
    let second = rows.next().unwrap().unwrap();
    assert_eq!(second.row, 4);
    // No demographic answered: none stored, as from the forms (the codec's one rule).
    assert!(second.demographics.is_empty());
    assert_eq!(
        rows.next().unwrap().unwrap_err().reason.to_string(),
        "sex: 'khac' is not one of nam, nu"
    );
    assert_eq!(
        rows.next().unwrap().unwrap_err().reason.to_string(),
        "wish: 3 areas chosen, at most 2"
    );
    assert!(rows.next().is_none());
    let streamed = read_csv(&q, "x.csv", csv.as_bytes()).unwrap();
    assert_eq!(
        streamed
            .rejected
            .iter()
            .map(|r| r.reason.to_string())
            .collect::<Vec<_>>(),
        [
            "sex: 'khac' is not one of nam, nu",
            "wish: 3 areas chosen, at most 2"
        ]
    );
    assert!(surveys::CsvRows::new(&q, "unit_code,q1\n".as_bytes()).is_err());
    // Rows given as text cells (an .xlsx sheet) go through the same rules.
    let header: Vec<String> = ["unit_code", "respondent_id", "q1", "q2"]
        .map(String::from)
        .to_vec();
    let (mut codec, _) = chiso_survey::RowCodec::new(&q, &header).unwrap();
    struct Texts(Vec<String>);
    impl chiso_survey::reader::Fields for Texts {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, index: usize) -> &[u8] {
            self.0[index].as_bytes()
        }
    }
    let cells = Texts(["01", "x", "5", ""].map(String::from).to_vec());
    let parsed = codec.read(&cells).unwrap();
    assert_eq!(parsed.packed.answers, [5, 0]);
    let cells = Texts(["01", "x", "9", ""].map(String::from).to_vec());
    assert_eq!(
        codec.read(&cells).unwrap_err().to_string(),
        "q1: value 9 is not 1-5"
    );

    // Stored and counted on both backends like the streaming reader counts them.
    for test_db in backends().await {
        let db = &test_db.db;
        let id = surveys::register_toml(db, &operator(), "full.toml", text)
            .await
            .unwrap();
        assert_eq!(
            surveys::register_toml(db, &operator(), "full.toml", text)
                .await
                .unwrap(),
            id,
            "the same definition is the same version"
        );
        let unit = units::create(db, &operator(), &unit_fields("01", OrgKind::Commune))
            .await
            .unwrap();
        let wave = surveys::create_wave(db, &operator(), &WaveFields::new(id, "Toàn bộ", 2025))
            .await
            .unwrap();
        surveys::set_units(db, &operator(), wave, &[(unit, None)])
            .await
            .unwrap();
        surveys::open_wave(db, &operator(), wave).await.unwrap();
        let report = surveys::import_responses(
            db,
            &operator(),
            wave,
            surveys::CsvRows::new(&q, csv.as_bytes()).unwrap(),
            &ImportOptions {
                skip_bad_rows: true,
                ..ImportOptions::new("x.csv")
            },
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(report.accepted, 2);
        // And a submission with the same parts.
        let mut response = Response::new(Channel::Kiosk, vec![4, 4]);
        response.demographics = vec![1];
        response.expectations = vec![2];
        response.comment = Some("  ".into());
        accepted(db, wave, unit, &response, Identity::Respondent(None)).await;
        let counts = surveys::counts(db, wave, &[unit], None).await.unwrap();
        let c = &counts[0].counts;
        assert_eq!(c.responses.n, 3);
        assert_eq!(c.comments, 1);
        assert_eq!(c.expectations_answered.n, 2);
        assert_eq!(
            c.expectations.iter().map(|s| s.n).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(
            c.demographics[0].iter().map(|s| s.n).collect::<Vec<_>>(),
            [1, 1]
        );
        assert_eq!(c.responses.weight_sum, 4.0);
        assert_eq!(c.responses.weight_sq_sum, 6.0);
        let stored = surveys::get_response(db, 1).await.unwrap();
        assert_eq!(stored.comment.as_deref(), Some("Tốt, nhanh"));
        assert_eq!(stored.expectations.as_deref(), Some(&[1u8, 3][..]));
        assert!(
            surveys::recompute_counters(db, &operator(), wave)
                .await
                .unwrap()
                .is_zero()
        );
    }
}

#[tokio::test]
async fn device_keys_are_stored_hashed_and_can_be_turned_off() {
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "kiosk-2025", &["01"], OrgKind::Department).await;
        let (id, key) = surveys::create_device(db, &operator(), wave.units[0], None, "Máy quầy 1")
            .await
            .unwrap();
        let device = surveys::device_by_key(db, &key).await.unwrap().unwrap();
        assert_eq!(device.id, id);
        // Without a wave of its own, the device submits to its unit's open wave.
        assert_eq!(
            surveys::device_wave(db, &device).await.unwrap(),
            Some(wave.id)
        );
        let mut response = Response::new(Channel::Kiosk, vec![5]);
        response.device_id = Some(id);
        accepted(
            db,
            wave.id,
            wave.units[0],
            &response,
            Identity::Respondent(None),
        )
        .await;
        assert!(
            surveys::devices(db, wave.units[0]).await.unwrap()[0]
                .last_used_at
                .is_some()
        );
        surveys::set_device_active(db, &operator(), id, false)
            .await
            .unwrap();
        assert!(surveys::device_by_key(db, &key).await.unwrap().is_none());
        assert!(surveys::device_by_key(db, "sai").await.unwrap().is_none());
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("survey_device".into()),
                entity_id: Some(id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| !format!("{r:?}").contains(&key)));
    }
}

#[tokio::test]
async fn survey_leaves_of_a_campaign_fill_from_the_waves() {
    for test_db in backends().await {
        let db = &test_db.db;
        let system = Actor::system("test");
        let framework = chiso_refdata::framework("par-province-2020").unwrap();
        let framework_id = frameworks::insert(db, &system, &framework, None)
            .await
            .unwrap();
        let stored = frameworks::load(db, framework_id).await.unwrap();
        let today = sheets::today_in_vietnam();
        let campaign = campaigns::create(
            db,
            &system,
            &CampaignFields {
                year: 2025,
                title: "Chỉ số CCHC cấp tỉnh 2025".into(),
                appraisal_rounds: 1,
                self_assessment_deadline: Some(today + Days::new(30)),
                explanation_deadline: Some(today + Days::new(60)),
                round_deadlines: vec![None],
                bands: "Tốt:80,Khá:70,Trung bình:50,Yếu".into(),
            },
        )
        .await
        .unwrap();
        let sipas_wave = wave_on(db, "sipas-2017", &["46", "44"], OrgKind::Province).await;
        let leader_wave = wave_on(db, "leader-2020", &["46", "44"], OrgKind::Province).await;
        let provinces = sipas_wave.units.clone();
        campaigns::set_framework(db, &system, campaign, "province", Some(framework_id))
            .await
            .unwrap();
        campaigns::set_units(db, &system, campaign, "province", &provinces)
            .await
            .unwrap();
        // Province 46: 8 of 10 respondents satisfied with everything → SIPAS 80 % → 8 points.
        for i in 0..10 {
            accepted(
                db,
                sipas_wave.id,
                provinces[0],
                &sipas(if i < 8 { 5 } else { 2 }),
                Identity::Respondent(None),
            )
            .await;
        }
        // Leaders: 6 A, 3 B, 1 C, 2 E on every item → 80 % of each item's points
        // (docs/method.md §4).
        let items = leader_wave.questionnaire.items.len();
        for answer in [1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 5, 5] {
            accepted(
                db,
                leader_wave.id,
                provinces[0],
                &Response::new(Channel::Paper, vec![answer; items]),
                Identity::Respondent(None),
            )
            .await;
        }
        // Mapping needs the framework's survey leaves; a self-assessed leaf is refused.
        let self_leaf = stored.node_ids["1.1.1"];
        assert!(matches!(
            surveys::set_leaf_map(db, &system, campaign, self_leaf, sipas_wave.id, "index").await,
            Err(StoreError::Survey(surveys::SurveyRefusal::LeafMap(
                surveys::LeafMapRefusal::NotSurveyLeaf { node_id }
            ))) if node_id == self_leaf
        ));
        assert_eq!(
            surveys::map_leaves_from_questionnaire(db, &system, campaign, sipas_wave.id)
                .await
                .unwrap(),
            1
        );
        let leader_leaves =
            surveys::map_leaves_from_questionnaire(db, &system, campaign, leader_wave.id)
                .await
                .unwrap();
        assert_eq!(
            leader_leaves,
            leader_wave
                .questionnaire
                .items
                .iter()
                .filter(|i| i.leaf.is_some())
                .count()
        );
        assert!(matches!(
            surveys::set_leaf_map(
                db,
                &system,
                campaign,
                stored.node_ids["8.1"],
                sipas_wave.id,
                "item:c99"
            )
            .await,
            Err(StoreError::Survey(surveys::SurveyRefusal::LeafMap(
                surveys::LeafMapRefusal::SourceNotInQuestionnaire { text, .. }
            ))) if text == "item:c99"
        ));

        let points = surveys::survey_leaf_points(db, campaign, provinces[0])
            .await
            .unwrap();
        assert_eq!(points.len(), 1 + leader_leaves);
        let sipas_leaf = points.iter().find(|p| p.leaf_code == "8.1").unwrap();
        assert_eq!(sipas_leaf.value, Some(80.0));
        assert_eq!(sipas_leaf.points, Some("8".parse::<Points>().unwrap()));
        assert_eq!(sipas_leaf.responses, 10);
        let mut leader_total = Points::ZERO;
        for leaf in points.iter().filter(|p| p.leaf_code != "8.1") {
            assert!((leaf.value.unwrap() - 80.0).abs() < 1e-9);
            assert_eq!(
                leaf.points,
                Points::from_f64_rounded(leaf.max_points.to_f64() * 0.8)
            );
            leader_total += leaf.points.unwrap();
        }
        assert_eq!(leader_total, "18.8".parse::<Points>().unwrap());
        // Province 44 has no answers: its leaves have no points.
        let none = surveys::survey_leaf_points(db, campaign, provinces[1])
            .await
            .unwrap();
        assert!(none.iter().all(|p| p.points.is_none()));

        // Refreshing needs an open campaign; it fills the sheets' survey leaves, audited.
        assert!(matches!(
            surveys::refresh_survey_leaves(db, &system, campaign).await,
            Err(StoreError::Survey(surveys::SurveyRefusal::LeavesNotNow(_)))
        ));
        campaigns::transition(db, &system, campaign, CampaignState::Open, None)
            .await
            .unwrap();
        sheets::ensure_sheets(db, &system, campaign).await.unwrap();
        let report = surveys::refresh_survey_leaves(db, &operator(), campaign)
            .await
            .unwrap();
        assert_eq!(report.units, 2);
        assert_eq!(report.leaves_changed, 1 + leader_leaves);
        let sheet = sheets::find_sheet(db, campaign, provinces[0])
            .await
            .unwrap()
            .unwrap();
        let scores = sheets::leaf_scores(db, sheet.id).await.unwrap();
        let sipas_score = scores
            .iter()
            .find(|s| s.node_id == stored.node_ids["8.1"])
            .unwrap();
        assert_eq!(sipas_score.points(), Some("8".parse().unwrap()));
        assert_eq!(sipas_score.input.as_deref(), Some(r#"{"sipas":80.0}"#));
        assert_eq!(sheet.version, 2);
        // The survey leaves count in the unit's result.
        let records = sheets::sheet_records(db, &sheets::scope(db, sheet.id).await.unwrap())
            .await
            .unwrap();
        let values: Vec<_> = stored
            .framework
            .leaves()
            .iter()
            .filter_map(|&leaf| Some((leaf, records.get(leaf).self_points?)))
            .collect();
        // The sheet's summary columns follow its leaves (as every other writer of leaf_scores
        // keeps them): the totals lists and rankings read are not stale.
        let summary = chiso_domain::assessment::summarize(
            &stored.framework,
            &records,
            sheet.current_round as u32,
        );
        assert!(sheet.self_total > 0, "{:?}", db.backend());
        assert_eq!(sheet.self_total_points(), summary.self_total);
        assert_eq!(sheet.leaves_filled, i64::from(summary.leaves_filled));
        let input =
            chiso_domain::assessment::unit_input(&stored.framework, "46", None, values).unwrap();
        let bands = chiso_domain::Bands::parse("Tốt:80,Khá:70,Trung bình:50,Yếu").unwrap();
        let evaluation = evaluate(&stored.framework, vec![input], &bands);
        assert_eq!(
            evaluation.units[0].points.points,
            "26.8".parse::<Points>().unwrap()
        );
        // Every refresh is audited; leaf rows say where the value came from.
        let history = sheets::leaf_history(db, sheet.id, stored.node_ids["8.1"])
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert!(
            history[0]
                .reason
                .as_deref()
                .unwrap()
                .starts_with("survey wave")
        );
        // A refresh without news changes nothing but is still recorded.
        let again = surveys::refresh_survey_leaves(db, &operator(), campaign)
            .await
            .unwrap();
        assert_eq!(again.leaves_changed, 0);
        let refreshes = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("campaign".into()),
                entity_id: Some(campaign),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "refresh_survey_leaves")
        .count();
        assert_eq!(refreshes, 2);
        // New answers move the points on the next refresh.
        for _ in 0..10 {
            accepted(
                db,
                sipas_wave.id,
                provinces[0],
                &sipas(1),
                Identity::Respondent(None),
            )
            .await;
        }
        let third = surveys::refresh_survey_leaves(db, &operator(), campaign)
            .await
            .unwrap();
        assert_eq!(third.leaves_changed, 1);
        let scores = sheets::leaf_scores(db, sheet.id).await.unwrap();
        let sipas_score = scores
            .iter()
            .find(|s| s.node_id == stored.node_ids["8.1"])
            .unwrap();
        assert_eq!(sipas_score.points(), Some("4".parse().unwrap()));
        assert_eq!(sipas_score.version, 2);
    }
}

/// A trigger that makes the database refuse a response whose comment is `boom`: a database
/// error for one submission, as a full disk or a lost connection would give.
async fn refuse_boom_comments(db: &Db) {
    match db.backend() {
        chiso_store::Backend::Sqlite => {
            with_db!(db, pool => sqlx::query(
                "CREATE TRIGGER boom BEFORE INSERT ON responses WHEN NEW.comment = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END")
                .execute(pool).await.map(|_| ()).unwrap());
        }
        chiso_store::Backend::Postgres => {
            for sql in [
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.comment = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER boom BEFORE INSERT ON responses FOR EACH ROW EXECUTE FUNCTION boom()",
            ] {
                with_db!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()).unwrap());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_submissions_commit_in_groups_with_the_outcomes_of_one_by_one() {
    use chiso_store::surveys::SubmitQueue;
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        let tokens = surveys::issue_tokens(db, &operator(), wave.id, wave.units[0], 5)
            .await
            .unwrap();
        refuse_boom_comments(db).await;
        let queue = SubmitQueue::start(db.clone(), 64);

        /// What each submission should get.
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Expect {
            Accepted,
            /// One of a group of submissions racing for the same token or respondent id.
            OneOf(usize),
            Invalid,
            DbError,
        }
        // (unit, response, token, respondent id, expected outcome)
        type Job = (i64, Response, Option<String>, Option<String>, Expect);
        let mut jobs: Vec<Job> = Vec::new();
        for i in 0..200 {
            let unit = wave.units[i % 2];
            jobs.push((
                unit,
                sipas(1 + (i % 5) as u8),
                None,
                Some(format!("R{i}")),
                Expect::Accepted,
            ));
        }
        // 10 respondent ids sent twice each: one of each pair counts.
        for pair in 0..10 {
            for _ in 0..2 {
                jobs.push((
                    wave.units[0],
                    sipas(4),
                    None,
                    Some(format!("P{pair}")),
                    Expect::OneOf(pair),
                ));
            }
        }
        // 5 tokens tried 4 times each: one of each counts.
        for (t, token) in tokens.iter().enumerate() {
            for _ in 0..4 {
                jobs.push((
                    wave.units[0],
                    sipas(5),
                    Some(token.clone()),
                    None,
                    Expect::OneOf(100 + t),
                ));
            }
        }
        // Answers off the scale, and a comment the database refuses.
        for _ in 0..5 {
            jobs.push((
                wave.units[1],
                Response::new(Channel::Online, vec![9; 23]),
                None,
                None,
                Expect::Invalid,
            ));
        }
        for _ in 0..3 {
            let mut response = sipas(3);
            response.comment = Some("boom".into());
            jobs.push((wave.units[1], response, None, None, Expect::DbError));
        }
        // The same answers from one address without identity: after the first, flagged. These
        // are submitted in order, after the rest, so which one is first is known.
        let look_alike = |source: &str| Response {
            source: Some(source.to_string()),
            ..Response::new(Channel::Kiosk, vec![2; 23])
        };

        let mut handles = Vec::new();
        for (unit, response, token, respondent, expect) in jobs {
            let queue = queue.clone();
            let wave_id = wave.id;
            handles.push(tokio::spawn(async move {
                let identity = match &token {
                    Some(token) => Identity::Token(token),
                    None => Identity::Respondent(respondent.as_deref()),
                };
                (
                    expect,
                    queue.submit(wave_id, unit, &response, identity).await,
                )
            }));
        }
        let mut accepted = 0;
        let mut winners: std::collections::HashMap<usize, usize> = Default::default();
        for handle in handles {
            let (expect, outcome) = handle.await.unwrap();
            match (expect, outcome) {
                (Expect::Accepted, Ok(Ok(a))) => {
                    assert!(!a.flagged_duplicate);
                    accepted += 1;
                }
                (Expect::OneOf(group), Ok(Ok(_))) => {
                    *winners.entry(group).or_default() += 1;
                    accepted += 1;
                }
                (Expect::OneOf(group), Ok(Err(refusal))) => assert!(
                    matches!(refusal, Refusal::DuplicateRespondent | Refusal::TokenUsed),
                    "group {group}: {refusal:?}"
                ),
                (Expect::Invalid, Ok(Err(Refusal::Shape(_)))) => {}
                (Expect::DbError, Err(error)) => {
                    assert!(error.to_string().contains("boom"), "{error}")
                }
                (expect, outcome) => panic!("expected {expect:?}, got {outcome:?}"),
            }
        }
        assert_eq!(winners.len(), 15);
        assert!(winners.values().all(|&w| w == 1), "{winners:?}");
        assert_eq!(accepted, 200 + 10 + 5);
        let first = queue
            .submit(
                wave.id,
                wave.units[1],
                &look_alike("10.1.1.1"),
                Identity::Respondent(None),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(!first.flagged_duplicate);
        let again = queue
            .submit(
                wave.id,
                wave.units[1],
                &look_alike("10.1.1.1"),
                Identity::Respondent(None),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(again.flagged_duplicate);

        // Exactly the accepted responses are stored, and the counters equal a recount.
        assert_eq!(response_count(db).await, 217);
        let (unit0, _) = counted(db, wave.id, wave.units[0]).await;
        let (unit1, flagged1) = counted(db, wave.id, wave.units[1]).await;
        assert_eq!((unit0, unit1, flagged1), (100 + 10 + 5, 100 + 1, 1));
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );
        // They were committed in groups, not one transaction each.
        let stats = queue.stats();
        assert!(
            stats.largest > 1 && stats.groups < stats.submissions,
            "{stats:?}"
        );
    }
}

#[tokio::test]
async fn services_slice_their_units_counters_and_are_checked() {
    use chiso_store::surveys::Slice;
    use chiso_store::surveys::{self as survey_services, ServiceFields};
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01", "02"], OrgKind::Province).await;
        let fields = |code: &str, name: &str, n: Option<i64>| ServiceFields {
            code: code.into(),
            name: name.into(),
            transactions: n,
        };
        // Entry faults are typed: they carry the service's code and name the form's field.
        use surveys::{ServiceRefusal, SurveyRefusal};
        for (bad, expected, field) in [
            (
                fields("", "Cấp phép", None),
                ServiceRefusal::CodeEmpty,
                "code",
            ),
            (
                fields("GP XD", "Cấp phép", None),
                ServiceRefusal::CodeInvalid {
                    code: "GP XD".into(),
                    max: surveys::MAX_SERVICE_CODE,
                },
                "code",
            ),
            (
                fields("gpxd", "  ", None),
                ServiceRefusal::NameEmpty {
                    code: "GPXD".into(),
                },
                "name",
            ),
            (
                fields("GPXD", "Cấp phép", Some(-1)),
                ServiceRefusal::TransactionsNegative {
                    code: "GPXD".into(),
                    transactions: -1,
                },
                "transactions",
            ),
        ] {
            let error = survey_services::set_service(db, &operator(), wave.id, wave.units[0], &bad)
                .await
                .unwrap_err();
            match error {
                StoreError::Survey(SurveyRefusal::Service(refusal)) => {
                    assert_eq!(refusal.field(), Some(field));
                    assert_eq!(refusal, expected);
                }
                other => panic!("{other:?}"),
            }
        }
        let outsider = units::create(db, &operator(), &unit_fields("99", OrgKind::Province))
            .await
            .unwrap();
        let error = survey_services::set_service(
            db,
            &operator(),
            wave.id,
            outsider,
            &fields("GPXD", "Cấp phép", None),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, StoreError::Survey(SurveyRefusal::UnitNotInWave)),
            "{error:?}"
        );

        // A service with its N gets the target n = N / (1 + N·e²); the code is kept upper case
        // and saving the same code again changes it (audited).
        let building = survey_services::set_service(
            db,
            &operator(),
            wave.id,
            wave.units[0],
            &fields("gpxd", "Cấp giấy phép xây dựng", Some(400)),
        )
        .await
        .unwrap();
        let again = survey_services::set_service(
            db,
            &operator(),
            wave.id,
            wave.units[0],
            &fields("GPXD", "Cấp giấy phép xây dựng", Some(1_000)),
        )
        .await
        .unwrap();
        assert_eq!(building, again);
        let row = survey_services::get_service(db, building).await.unwrap();
        assert_eq!(
            (row.code.as_str(), row.transactions, row.target_sample),
            (
                "GPXD",
                Some(1_000),
                Some(surveys::target_sample(1_000, 0.05))
            )
        );
        let business = survey_services::set_service(
            db,
            &operator(),
            wave.id,
            wave.units[0],
            &fields("DKKD", "Đăng ký kinh doanh", None),
        )
        .await
        .unwrap();
        let elsewhere = survey_services::set_service(
            db,
            &operator(),
            wave.id,
            wave.units[1],
            &fields("GPXD", "Cấp giấy phép xây dựng", None),
        )
        .await
        .unwrap();
        assert_eq!(
            survey_services::find_service(db, wave.id, wave.units[0], " dkkd ")
                .await
                .unwrap()
                .map(|s| s.id),
            Some(business)
        );

        // Responses about services: 3 × GPXD (5), 1 × DKKD (1), 1 about the unit as a whole (3).
        let about = |value: u8, service: Option<i64>| Response {
            service_id: service,
            ..sipas(value)
        };
        for _ in 0..3 {
            accepted(
                db,
                wave.id,
                wave.units[0],
                &about(5, Some(building)),
                Identity::Respondent(None),
            )
            .await;
        }
        accepted(
            db,
            wave.id,
            wave.units[0],
            &about(1, Some(business)),
            Identity::Respondent(None),
        )
        .await;
        accepted(
            db,
            wave.id,
            wave.units[0],
            &about(3, None),
            Identity::Respondent(None),
        )
        .await;
        // Another unit's service is refused, and nothing is stored.
        assert_eq!(
            refused(
                db,
                wave.id,
                wave.units[0],
                &about(4, Some(elsewhere)),
                Identity::Respondent(None)
            )
            .await,
            Refusal::UnknownService
        );
        assert_eq!(response_count(db).await, 5);
        // A token issued for a service answers about it, whatever the form says.
        let tokens = surveys::issue_service_tokens(
            db,
            &operator(),
            wave.id,
            wave.units[0],
            Some(business),
            2,
        )
        .await
        .unwrap();
        assert_eq!(
            surveys::find_token(db, &tokens[0])
                .await
                .unwrap()
                .unwrap()
                .service_id,
            Some(business)
        );
        let id = accepted(
            db,
            wave.id,
            wave.units[0],
            &about(1, None),
            Identity::Token(&tokens[0]),
        )
        .await;
        assert_eq!(
            with_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>("SELECT service_id FROM responses WHERE id = $1")
                .bind(id).fetch_one(pool).await.unwrap()),
            Some(business)
        );
        assert!(
            surveys::issue_service_tokens(
                db,
                &operator(),
                wave.id,
                wave.units[0],
                Some(elsewhere),
                1
            )
            .await
            .is_err()
        );

        // The unit counts everything; each service its own slice (SIPAS index: 100 for all 5s,
        // 0 for all 1s).
        let unit = surveys::result(db, wave.id, &[wave.units[0]], None)
            .await
            .unwrap();
        assert_eq!(unit.responses, 6);
        let gpxd =
            surveys::result_of_slice(db, wave.id, &[wave.units[0]], &Slice::service(building))
                .await
                .unwrap();
        assert_eq!((gpxd.responses, gpxd.index), (3, Some(100.0)));
        let dkkd =
            surveys::result_of_slice(db, wave.id, &[wave.units[0]], &Slice::service(business))
                .await
                .unwrap();
        assert_eq!((dkkd.responses, dkkd.index), (2, Some(0.0)));
        let none = surveys::result_of_slice(db, wave.id, &[wave.units[0]], &Slice::service(0))
            .await
            .unwrap();
        assert_eq!(none.responses, 1);
        let listed = survey_services::services(db, wave.id, Some(wave.units[0]))
            .await
            .unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.code.as_str(), s.responses))
                .collect::<Vec<_>>(),
            [("DKKD", 2), ("GPXD", 3)]
        );
        assert!(
            listed
                .iter()
                .find(|s| s.code == "GPXD")
                .unwrap()
                .below_target()
        );
        assert_eq!(
            survey_services::services(db, wave.id, None)
                .await
                .unwrap()
                .len(),
            3
        );
        // An imported file may name the service in a `service` column; a code that is not
        // one of the row's unit's services rejects the row, naming both.
        let header = std::iter::once("unit_code,respondent_id,channel,weight,service".to_string())
            .chain(wave.questionnaire.items.iter().map(|i| i.code.clone()))
            .collect::<Vec<_>>()
            .join(",");
        let answers = |v: &str| vec![v; wave.questionnaire.items.len()].join(",");
        let csv = format!(
            "{header}\n01,I1,paper,,gpxd,{five}\n01,I2,paper,,,{five}\n02,I3,paper,,DKKD,{five}\n",
            five = answers("5")
        );
        let rows = surveys::CsvRows::new(
            &wave.questionnaire,
            std::io::Cursor::new(csv.clone().into_bytes()),
        )
        .unwrap();
        let refused_file = surveys::import_responses(
            db,
            &operator(),
            wave.id,
            rows,
            &ImportOptions::new("dv.csv"),
            &mut |_, _| {},
        )
        .await
        .unwrap();
        assert!(!refused_file.stored);
        assert_eq!(refused_file.rejections.len(), 1);
        assert_eq!(refused_file.rejections[0].row, 4);
        assert_eq!(
            refused_file.rejections[0].reason.to_string(),
            "service DKKD is not one of unit 02's services"
        );
        let mut options = ImportOptions::new("dv.csv");
        options.skip_bad_rows = true;
        let rows =
            surveys::CsvRows::new(&wave.questionnaire, std::io::Cursor::new(csv.into_bytes()))
                .unwrap();
        let report =
            surveys::import_responses(db, &operator(), wave.id, rows, &options, &mut |_, _| {})
                .await
                .unwrap();
        assert_eq!((report.accepted, report.rejected), (2, 1));
        let gpxd =
            surveys::result_of_slice(db, wave.id, &[wave.units[0]], &Slice::service(building))
                .await
                .unwrap();
        assert_eq!((gpxd.responses, gpxd.index), (4, Some(100.0)));

        // Counters stay equal to a recount from the raw rows, services included.
        assert!(
            surveys::recompute_counters(db, &operator(), wave.id)
                .await
                .unwrap()
                .is_zero()
        );

        // A service that responses name cannot be removed; an unused one can, audited.
        let error = survey_services::remove_service(db, &operator(), building)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Survey(SurveyRefusal::Service(ServiceRefusal::InUse { code }))
                    if code == "GPXD"
            ),
            "{error:?}"
        );
        survey_services::remove_service(db, &operator(), elsewhere)
            .await
            .unwrap();
        assert!(survey_services::get_service(db, elsewhere).await.is_err());
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("wave".into()),
                entity_id: Some(wave.id),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let service_changes: Vec<_> = rows
            .iter()
            .filter(|r| r.field.as_deref().is_some_and(|f| f.starts_with("service")))
            .collect();
        // 3 added, N changed once, 1 removed.
        assert_eq!(service_changes.len(), 5, "{service_changes:#?}");
    }
}

#[tokio::test]
async fn a_bundled_questionnaire_with_new_comments_is_the_same_version() {
    let bundled = chiso_survey::questionnaire::BUNDLED
        .iter()
        .find(|b| b.id == "sipas-2017")
        .unwrap();
    let recommented = format!(
        "# Reworded header comment.\n\n{}\n# A trailing note.\n",
        bundled
            .text
            .replace("\n\n", "\n\n# a comment between sections\n")
    );
    assert_ne!(recommented, bundled.text);
    for test_db in backends().await {
        let db = &test_db.db;
        let first = surveys::register_bundled(db, &operator(), "sipas-2017")
            .await
            .unwrap();
        let again = surveys::register_toml(db, &operator(), bundled.file, &recommented)
            .await
            .unwrap();
        assert_eq!(
            again,
            first,
            "{:?}: comments make no new version",
            db.backend()
        );
        // A change of content still does.
        let retitled = bundled.text.replacen("title = \"", "title = \"(mới) ", 1);
        let changed = surveys::register_toml(db, &operator(), bundled.file, &retitled)
            .await
            .unwrap();
        assert_ne!(changed, first, "{:?}", db.backend());
        assert_eq!(surveys::list_questionnaires(db).await.unwrap().len(), 2);
    }
}

/// Every refusal of the wave, token, device and questionnaire checks is typed with its values
/// and the form field it names; a stored shape that does not read is corruption, not a refusal
/// of the submission.
#[tokio::test]
async fn survey_refusals_are_typed_and_name_their_field() {
    use chiso_store::surveys::{QuestionnaireRefusal, SurveyRefusal, WaveFieldRefusal};
    use chrono::NaiveDate;
    fn wave_refusal(error: StoreError) -> WaveFieldRefusal {
        match error {
            StoreError::Survey(SurveyRefusal::Wave(refusal)) => refusal,
            other => panic!("{other:?}"),
        }
    }
    for test_db in backends().await {
        let db = &test_db.db;
        let wave = wave_on(db, "sipas-2017", &["01"], OrgKind::Province).await;
        let questionnaire = surveys::get_wave(db, wave.id)
            .await
            .unwrap()
            .questionnaire_id;
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let base = WaveFields::new(questionnaire, "Quý 1", 2026);
        let cases: Vec<(WaveFields, WaveFieldRefusal, Option<&str>)> = vec![
            (
                WaveFields {
                    title: "  ".into(),
                    ..base.clone()
                },
                WaveFieldRefusal::TitleEmpty,
                Some("title"),
            ),
            (
                WaveFields {
                    period_year: 1999,
                    ..base.clone()
                },
                WaveFieldRefusal::YearOutOfRange { year: 1999 },
                Some("period_year"),
            ),
            (
                WaveFields {
                    period_quarter: Some(5),
                    ..base.clone()
                },
                WaveFieldRefusal::QuarterOutOfRange { quarter: 5 },
                Some("period_quarter"),
            ),
            (
                WaveFields {
                    opens_on: Some(day(20)),
                    closes_on: Some(day(10)),
                    ..base.clone()
                },
                WaveFieldRefusal::ClosesBeforeOpens {
                    opens: day(20),
                    closes: day(10),
                },
                Some("closes_on"),
            ),
            (
                WaveFields {
                    margin_e: 1.5,
                    ..base.clone()
                },
                WaveFieldRefusal::MarginOutOfRange { margin: 1.5 },
                Some("margin_e"),
            ),
            (
                WaveFields {
                    duplicate_window_seconds: -1,
                    ..base.clone()
                },
                WaveFieldRefusal::DuplicateWindowNegative { seconds: -1 },
                None,
            ),
        ];
        for (fields, expected, field) in cases {
            let refused = wave_refusal(
                surveys::create_wave(db, &operator(), &fields)
                    .await
                    .unwrap_err(),
            );
            assert_eq!(refused.field(), field, "{refused:?}");
            assert_eq!(refused, expected);
        }

        // Tokens, devices, units.
        let unit = wave.units[0];
        let error = surveys::issue_tokens(db, &operator(), wave.id, unit, 0)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Survey(refusal @ SurveyRefusal::TokenCount { count: 0, .. })
                    if refusal.field() == Some("count")
            ),
            "{error:?}"
        );
        let error = surveys::create_device(db, &operator(), unit, None, " ")
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::Survey(SurveyRefusal::DeviceNameEmpty)),
            "{error:?}"
        );
        let error = surveys::set_units(db, &operator(), wave.id, &[(unit, Some(-3))])
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Survey(SurveyRefusal::TransactionsNegative { transactions: -3 })
            ),
            "{error:?}"
        );

        // Questionnaires: an unknown bundled id, a definition that does not read.
        let error = surveys::register_bundled(db, &operator(), "khong-co")
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Survey(SurveyRefusal::Questionnaire(
                    QuestionnaireRefusal::UnknownBundled { id }
                )) if id == "khong-co"
            ),
            "{error:?}"
        );
        let error = surveys::register_toml(db, &operator(), "hong.toml", "id = ")
            .await
            .unwrap_err();
        match error {
            StoreError::Survey(SurveyRefusal::Questionnaire(
                refusal @ QuestionnaireRefusal::Definition { .. },
            )) => assert_eq!(refusal.field(), Some("toml")),
            other => panic!("{other:?}"),
        }

        // A stored shape that does not read: the submission fails as corrupt data, nothing is
        // stored, and no refusal blames the respondent.
        with_db!(db, pool => sqlx::query("UPDATE questionnaires SET shape = 'không phải JSON' WHERE id = $1")
            .bind(questionnaire)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected());
        let error = surveys::submit(db, wave.id, unit, &sipas(5), Identity::Respondent(None))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Corrupt {
                    what: "questionnaire shape",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(response_count(db).await, 0);
    }
}
