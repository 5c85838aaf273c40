//! Improvement plans on SQLite and, when reachable, PostgreSQL (docs/method.md §7.3–§7.7): a
//! plan with goals, groups and tasks; tasks moved by their lead and the secretariat from the
//! version they saw, coordinators kept from moving them; reports by the units on a task only;
//! a unit's plan under the province's; every change audited, refusals typed.

use chiso_domain::org::OrgKind;
use chiso_domain::plan::{
    Deadline, GoalTarget, Period, PlanRefusal, TaskAction, TaskActor, TaskRefusal, TaskStatus,
};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::plans::{self, NewReport, PlanFields, TaskFields, TaskTarget};
use chiso_store::testing::backends;
use chiso_store::units::{self, UnitFields};
use chiso_store::{Actor, Db, StoreError};
use chrono::NaiveDate;

async fn unit(db: &Db, code: &str, kind: OrgKind, parent: Option<i64>) -> i64 {
    units::create(
        db,
        &Actor::system("test"),
        &UnitFields {
            code: code.into(),
            name: format!("Đơn vị {code}"),
            kind,
            parent_id: parent,
            region: None,
            valid_from: None,
            valid_to: None,
        },
    )
    .await
    .unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn task_fields(title: &str, lead: i64, coordinators: Vec<i64>) -> TaskFields {
    TaskFields {
        group_id: None,
        serves_task_id: None,
        title: title.into(),
        product: "Kế hoạch được ban hành".into(),
        deadline: Deadline::parse("Trước ngày 20/12 hằng năm").unwrap(),
        priority: 1,
        lead_unit_id: lead,
        division: Some("Phòng Cải cách hành chính".into()),
        coordinators,
        targets: vec![TaskTarget {
            kind: "leaf".into(),
            index_id: "par".into(),
            code: "1.1".into(),
            note: "mất 1,5 điểm".into(),
        }],
        assigned_on: day(1, 15),
    }
}

fn refusal(result: Result<impl std::fmt::Debug, StoreError>) -> PlanRefusal {
    match result {
        Err(StoreError::Plan(refusal)) => refusal,
        other => panic!("expected a plan refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_plan_its_tasks_moves_and_reports() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let secretariat = Actor::user(1, "thuongtruc");
        let province = unit(db, "46", OrgKind::Province, None).await;
        let home = unit(db, "S01", OrgKind::Department, Some(province)).await;
        let justice = unit(db, "S03", OrgKind::Department, Some(province)).await;
        let other = unit(db, "S07", OrgKind::Department, Some(province)).await;

        let plan = plans::create_plan(
            db,
            &secretariat,
            &PlanFields {
                owner_unit_id: province,
                year: 2026,
                title: "Kế hoạch nâng cao Chỉ số CCHC năm 2026".into(),
                doc_number: Some("1886/KH-UBND".into()),
                doc_date: Some(day(9, 10)),
                implements: "Thông báo 257-TB/TU".into(),
                ..PlanFields::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(
                plans::create_plan(
                    db,
                    &secretariat,
                    &PlanFields {
                        owner_unit_id: province,
                        year: 2026,
                        title: "  ".into(),
                        ..PlanFields::default()
                    }
                )
                .await
            ),
            PlanRefusal::NoTitle,
            "{backend:?}"
        );
        plans::add_goal(
            db,
            &secretariat,
            plan,
            "PAR INDEX: nhóm 10 tỉnh dẫn đầu",
            2026,
        )
        .await
        .unwrap();
        plans::add_goal(db, &secretariat, plan, "SIPAS ≥ 90 %", 2026)
            .await
            .unwrap();
        assert!(matches!(
            refusal(plans::add_goal(db, &secretariat, plan, "tăng mạnh", 2026).await),
            PlanRefusal::Goal(_)
        ));
        let goals = plans::goals(db, plan).await.unwrap();
        assert_eq!(goals.len(), 2, "{backend:?}");
        assert_eq!(goals[0].goal.target, GoalTarget::Top(10));
        assert_eq!(goals[1].goal.index, "sipas");
        let group = plans::add_group(
            db,
            &secretariat,
            plan,
            "Nhóm giải pháp về PAR INDEX",
            Some("par"),
        )
        .await
        .unwrap();

        let mut fields = task_fields("Ban hành kế hoạch CCHC đúng hạn", home, vec![justice]);
        fields.group_id = Some(group);
        let task = plans::add_task(db, &secretariat, plan, &fields)
            .await
            .unwrap();
        assert_eq!(
            refusal(
                plans::add_task(db, &secretariat, plan, &task_fields("x", home, vec![home])).await
            ),
            PlanRefusal::LeadCoordinates
        );
        let stored = plans::get_task(db, task).await.unwrap();
        assert_eq!(stored.coordinators, vec![justice], "{backend:?}");
        assert_eq!(stored.targets[0].code, "1.1");
        assert_eq!(stored.deadline, Deadline::Yearly { day: 20, month: 12 });
        assert_eq!(stored.status, TaskStatus::NotStarted);
        let parts: Vec<TaskActor> = plans::tasks_of_unit(db, justice)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(parts, vec![TaskActor::Coordinator], "{backend:?}");
        assert!(plans::tasks_of_unit(db, other).await.unwrap().is_empty());

        // Reports: a unit not on the task is refused; the lead's first report starts it; a
        // coordinator contributes; completion and narrative are checked.
        let report = |unit_id: i64, percent: i64, narrative: &str| NewReport {
            task_id: task,
            unit_id,
            period: Period::parse("2026-Q3").unwrap(),
            percent,
            narrative: narrative.into(),
            filed_on: day(9, 30),
            files: Vec::new(),
        };
        let editor = Actor::user(7, "nhaplieu");
        assert_eq!(
            refusal(plans::file_report(db, &editor, &report(other, 10, "x")).await),
            PlanRefusal::NotOnTask {
                unit_id: other,
                task_id: task
            }
        );
        assert_eq!(
            refusal(plans::file_report(db, &editor, &report(home, 120, "x")).await),
            PlanRefusal::Percent { percent: 120 }
        );
        assert_eq!(
            refusal(plans::file_report(db, &editor, &report(home, 30, "  ")).await),
            PlanRefusal::NoNarrative
        );
        plans::file_report(db, &editor, &report(home, 30, "Đã dự thảo kế hoạch"))
            .await
            .unwrap();
        plans::file_report(db, &editor, &report(justice, 30, "Góp ý dự thảo"))
            .await
            .unwrap();
        let started = plans::get_task(db, task).await.unwrap();
        assert_eq!(
            started.status,
            TaskStatus::InProgress,
            "{backend:?}: the lead's report starts it"
        );
        assert_eq!(plans::reports(db, task).await.unwrap().len(), 2);

        // Moves: a coordinator cannot close; a stale version changes nothing; the lead closes,
        // the secretariat accepts.
        assert_eq!(
            refusal(
                plans::move_task(
                    db,
                    &editor,
                    TaskActor::Coordinator,
                    task,
                    TaskAction::Close,
                    None,
                    started.version
                )
                .await
            ),
            PlanRefusal::Task(TaskRefusal::NotAllowed {
                actor: TaskActor::Coordinator,
                action: TaskAction::Close
            })
        );
        assert_eq!(
            refusal(
                plans::move_task(
                    db,
                    &editor,
                    TaskActor::Lead,
                    task,
                    TaskAction::Close,
                    None,
                    started.version - 1
                )
                .await
            ),
            PlanRefusal::TaskChanged { task_id: task }
        );
        assert_eq!(
            plans::get_task(db, task).await.unwrap().status,
            TaskStatus::InProgress
        );
        let closed = plans::move_task(
            db,
            &editor,
            TaskActor::Lead,
            task,
            TaskAction::Close,
            None,
            started.version,
        )
        .await
        .unwrap();
        assert_eq!(closed, TaskStatus::AwaitingAcceptance);
        let version = plans::get_task(db, task).await.unwrap().version;
        assert!(matches!(
            refusal(
                plans::move_task(
                    db,
                    &secretariat,
                    TaskActor::Secretariat,
                    task,
                    TaskAction::Reject,
                    Some(""),
                    version
                )
                .await
            ),
            PlanRefusal::Task(TaskRefusal::ReasonRequired { .. })
        ));
        plans::move_task(
            db,
            &secretariat,
            TaskActor::Secretariat,
            task,
            TaskAction::Accept,
            None,
            version,
        )
        .await
        .unwrap();
        assert_eq!(
            plans::get_task(db, task).await.unwrap().status,
            TaskStatus::Done
        );
        assert!(matches!(
            refusal(plans::file_report(db, &editor, &report(home, 100, "Xong")).await),
            PlanRefusal::TaskClosed {
                status: TaskStatus::Done
            }
        ));

        // Every change is in the audit log: the task's creation, two reports, two moves.
        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("plan_task".into()),
                entity_id: Some(task),
                limit: 50,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        for (action, count) in [("add_task", 1), ("file_report", 2), ("move_task", 2)] {
            assert_eq!(
                actions.iter().filter(|a| **a == action).count(),
                count,
                "{backend:?}: {actions:?}"
            );
        }

        // A unit's plan under the province's, its task serving a provincial task; one level.
        let unit_plan = plans::create_plan(
            db,
            &editor,
            &PlanFields {
                owner_unit_id: home,
                parent_id: Some(plan),
                year: 2026,
                title: "Kế hoạch của Sở".into(),
                ..PlanFields::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(
                plans::create_plan(
                    db,
                    &editor,
                    &PlanFields {
                        owner_unit_id: home,
                        parent_id: Some(unit_plan),
                        year: 2026,
                        title: "Kế hoạch cấp phòng".into(),
                        ..PlanFields::default()
                    }
                )
                .await
            ),
            PlanRefusal::ParentNotProvincial {
                parent_id: unit_plan
            }
        );
        let mut serving = task_fields("Rà soát văn bản của Sở", home, vec![]);
        serving.serves_task_id = Some(task);
        plans::add_task(db, &editor, unit_plan, &serving)
            .await
            .unwrap();
        let own_task = plans::tasks(db, unit_plan).await.unwrap()[0].id;
        let mut wrong = task_fields("Sai", home, vec![]);
        wrong.serves_task_id = Some(own_task);
        assert_eq!(
            refusal(plans::add_task(db, &editor, unit_plan, &wrong).await),
            PlanRefusal::ServesOtherPlan { task_id: own_task }
        );
        let listed: Vec<i64> = plans::list_plans(db)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(
            listed,
            vec![plan, unit_plan],
            "{backend:?}: the province's first, then its units'"
        );
    }
}

#[tokio::test]
async fn drafts_edits_merges_periods_and_files() {
    for test_db in backends().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::user(1, "thuongtruc");
        let province = unit(db, "46", OrgKind::Province, None).await;
        let justice = unit(db, "S03", OrgKind::Department, Some(province)).await;
        let home = unit(db, "S02", OrgKind::Department, Some(province)).await;
        let fields = PlanFields {
            owner_unit_id: province,
            year: 2026,
            title: "Kế hoạch dự thảo".into(),
            ..PlanFields::default()
        };
        let group = |tasks: Vec<TaskFields>| plans::DraftGroup {
            title: "Nhóm giải pháp PAPI".into(),
            index_id: Some("papi".into()),
            tasks,
        };

        // A draft with one bad task writes nothing at all.
        let bad = task_fields("Nhiệm vụ lỗi", justice, vec![justice]);
        let good = task_fields("Công khai kế hoạch sử dụng đất", justice, vec![home]);
        assert_eq!(
            refusal(
                plans::create_with_tasks(db, &actor, &fields, &[group(vec![good.clone(), bad])])
                    .await
            ),
            PlanRefusal::LeadCoordinates,
            "{backend:?}"
        );
        assert!(
            plans::list_plans(db).await.unwrap().is_empty(),
            "{backend:?}"
        );
        let mut second = task_fields("Công khai danh sách hộ nghèo", home, vec![]);
        second.targets[0].code = "1.2".into();
        let plan = plans::create_with_tasks(db, &actor, &fields, &[group(vec![good, second])])
            .await
            .unwrap();
        let tasks = plans::tasks(db, plan).await.unwrap();
        assert_eq!(tasks.len(), 2);
        let groups = plans::groups(db, plan).await.unwrap();
        assert!(tasks.iter().all(|t| t.group_id == Some(groups[0].id)));

        // An edit from a stale version changes nothing; from the current one, everything.
        let mut edited = task_fields("Công khai kế hoạch sử dụng đất, giá đất", justice, vec![]);
        edited.deadline = Deadline::Ongoing;
        assert_eq!(
            refusal(
                plans::update_task(db, &actor, tasks[0].id, tasks[0].version + 1, &edited).await
            ),
            PlanRefusal::TaskChanged {
                task_id: tasks[0].id
            }
        );
        plans::update_task(db, &actor, tasks[0].id, tasks[0].version, &edited)
            .await
            .unwrap();
        let after = plans::get_task(db, tasks[0].id).await.unwrap();
        assert_eq!(
            (after.deadline, after.coordinators.len()),
            (Deadline::Ongoing, 0)
        );

        // A report with a file, then a merge: the second task's targets, lead and report move.
        let file = chiso_store::evidence::upload(
            db,
            &chiso_store::evidence::LocalBlobStore::new(
                std::env::temp_dir().join(format!("chiso-plan-blobs-{}", std::process::id())),
            ),
            &actor,
            "bien-ban.pdf",
            b"%PDF-1.4\n%%EOF\n",
            1 << 20,
        )
        .await
        .unwrap();
        plans::file_report(
            db,
            &Actor::user(7, "nhaplieu"),
            &NewReport {
                task_id: tasks[1].id,
                unit_id: home,
                period: Period::parse("2026-Q4").unwrap(),
                percent: 20,
                narrative: "Đã công khai tại 10 xã".into(),
                filed_on: day(11, 2),
                files: vec![(file.id, "bien-ban.pdf".into())],
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(plans::merge_tasks(db, &actor, &[tasks[0].id]).await),
            PlanRefusal::MergeNeedsTwo
        );
        plans::merge_tasks(db, &actor, &[tasks[0].id, tasks[1].id])
            .await
            .unwrap();
        let merged = plans::tasks(db, plan).await.unwrap();
        assert_eq!(merged.len(), 1, "{backend:?}");
        assert_eq!(merged[0].coordinators, vec![home]);
        let codes: Vec<&str> = merged[0].targets.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["1.1", "1.2"]);
        assert_eq!(plans::reports(db, merged[0].id).await.unwrap().len(), 1);
        let files = plans::report_files(db, plan, Some(merged[0].id))
            .await
            .unwrap();
        assert_eq!(files[0].file_name, "bien-ban.pdf");
        assert_eq!(
            plans::tasks_holding_file(db, file.id).await.unwrap()[0].0,
            merged[0].id
        );

        // A period opens once; the roll-up's narrative is saved and replaced.
        let q4 = Period::parse("2026-Q4").unwrap();
        plans::open_period(db, &actor, plan, q4, day(12, 15))
            .await
            .unwrap();
        assert_eq!(
            refusal(plans::open_period(db, &actor, plan, q4, day(12, 20)).await),
            PlanRefusal::PeriodOpen {
                period: "2026-Q4".into()
            }
        );
        plans::save_rollup(db, &actor, plan, q4, "Bản nháp 1")
            .await
            .unwrap();
        plans::save_rollup(db, &actor, plan, q4, "Bản nháp 2")
            .await
            .unwrap();
        assert_eq!(
            plans::rollup(db, plan, q4)
                .await
                .unwrap()
                .unwrap()
                .narrative,
            "Bản nháp 2"
        );

        let rows = audit::list(
            db,
            &AuditFilter {
                entity_type: Some("plan_task".into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        for action in ["add_task", "update_task", "file_report", "merge_tasks"] {
            assert!(
                rows.iter().any(|r| r.action == action),
                "{backend:?}: {action}"
            );
        }
    }
}
