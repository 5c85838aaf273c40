//! The units tree with search, and a unit's page.

use super::*;

/// A unit as the lists show it.
#[derive(Clone, Debug)]
pub struct UnitRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub valid_from: String,
    pub valid_to: String,
    pub current: bool,
    /// Indentation in the tree, in rem.
    pub indent: String,
    pub depth: usize,
}

impl UnitRow {
    fn new(unit: &OrgUnit, depth: usize, today: NaiveDate) -> UnitRow {
        UnitRow {
            id: unit.id,
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.as_str().to_string(),
            region: unit.region.clone().unwrap_or_default(),
            valid_from: if unit.valid_from == open_start() {
                "—".to_string()
            } else {
                i18n::date(unit.valid_from)
            },
            valid_to: unit.valid_to.map(i18n::date).unwrap_or_default(),
            current: unit.is_current_on(today),
            indent: format!("{:.2}", 0.5 + depth as f64 * 1.25),
            depth,
        }
    }
}

/// The hierarchy in display order: the local government tree (nation → province →
/// departments and communes), then the ministries as a separate tree.
pub(super) fn tree(units: &[OrgUnit], today: NaiveDate) -> (Vec<UnitRow>, Vec<UnitRow>) {
    let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&OrgUnit>> = HashMap::new();
    for unit in units {
        let parent = unit.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| {
            (kind_rank(a.kind), &a.code, a.valid_from).cmp(&(
                kind_rank(b.kind),
                &b.code,
                b.valid_from,
            ))
        });
    }
    let mut visited = HashSet::new();
    fn walk(
        unit: &OrgUnit,
        depth: usize,
        ministries: bool,
        children: &HashMap<Option<i64>, Vec<&OrgUnit>>,
        visited: &mut HashSet<i64>,
        out: &mut Vec<UnitRow>,
        today: NaiveDate,
    ) {
        if !visited.insert(unit.id) {
            return;
        }
        out.push(UnitRow::new(unit, depth, today));
        for child in children.get(&Some(unit.id)).into_iter().flatten() {
            // Ministries sit under the nation but are shown in their own tree.
            if !ministries && child.kind == OrgKind::Ministry {
                continue;
            }
            walk(child, depth + 1, ministries, children, visited, out, today);
        }
    }
    let mut local = Vec::new();
    for root in children.get(&None).into_iter().flatten() {
        if root.kind != OrgKind::Ministry {
            walk(root, 0, false, &children, &mut visited, &mut local, today);
        }
    }
    let mut ministries = Vec::new();
    let mut ministry_roots: Vec<&OrgUnit> = units
        .iter()
        .filter(|u| {
            u.kind == OrgKind::Ministry
                && u.parent_id
                    .and_then(|p| units.iter().find(|x| x.id == p))
                    .is_none_or(|p| p.kind != OrgKind::Ministry)
        })
        .collect();
    ministry_roots.sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    for root in ministry_roots {
        walk(
            root,
            0,
            true,
            &children,
            &mut visited,
            &mut ministries,
            today,
        );
    }
    // A unit in a parent cycle (which the store does not prevent) is still listed.
    for unit in units {
        if !visited.contains(&unit.id) {
            local.push(UnitRow::new(unit, 0, today));
        }
    }
    (local, ministries)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    /// "1": only the units current today.
    current: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/list.html")]
pub struct ListPage {
    page: Page,
    q: String,
    current_only: bool,
    searching: bool,
    local: Vec<UnitRow>,
    ministries: Vec<UnitRow>,
    results: Vec<UnitRow>,
    can_manage: bool,
    total: usize,
}

/// The tree, or the units whose name or code matches the search.
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    Query(query): Query<ListQuery>,
) -> AppResult<ListPage> {
    principal.require(Permission::ViewSetup)?;
    let today = Utc::now().date_naive();
    let current_only = query.current == "1";
    let q = query.q.trim().to_string();
    let keep = |row: &UnitRow| !current_only || row.current;
    let all = units::list(&state.db).await?;
    let (local, ministries, results) = if q.is_empty() {
        let (local, ministries) = tree(&all, today);
        (
            local.into_iter().filter(keep).collect(),
            ministries.into_iter().filter(keep).collect(),
            Vec::new(),
        )
    } else {
        let found = units::search(&state.db, &q, 500).await?;
        let rows = found
            .iter()
            .map(|u| UnitRow::new(u, 0, today))
            .filter(keep)
            .collect();
        (Vec::new(), Vec::new(), rows)
    };
    Ok(ListPage {
        page: Page::new(&context, "units.title"),
        searching: !q.is_empty(),
        q,
        current_only,
        local,
        ministries,
        results,
        can_manage: principal.can(Permission::ManageUnits),
        total: all.len(),
    })
}

/// A lineage edge seen from one unit: the unit on the other side.
#[derive(Clone, Debug)]
pub struct LineageRow {
    pub unit: UnitRow,
    pub effective_date: String,
    pub kind: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "units/show.html")]
pub struct ShowPage {
    page: Page,
    unit: UnitRow,
    parent: Option<UnitRow>,
    children: Vec<UnitRow>,
    predecessors: Vec<LineageRow>,
    successors: Vec<LineageRow>,
    can_manage: bool,
    can_audit: bool,
    history: Vec<AuditRecord>,
    audit_link: String,
    /// The plan tasks that touch the unit.
    plan_tasks: Vec<PlanTaskRow>,
}

/// A plan task on a unit's page.
pub struct PlanTaskRow {
    href: String,
    title: String,
    plan: String,
    part: &'static str,
    status: &'static str,
    weak: String,
}

/// A unit's page: details, parent, children, lineage and its recent audit history.
#[tracing::instrument(skip_all, fields(unit_id = ?id))]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal, context): Auth,
    id: PathId,
) -> AppResult<ShowPage> {
    principal.require(Permission::ViewSetup)?;
    let id = id.get()?;
    let today = Utc::now().date_naive();
    let all = units::list(&state.db).await?;
    let unit = all.iter().find(|u| u.id == id).ok_or(AppError::NotFound)?;
    let by_id = |id: i64| all.iter().find(|u| u.id == id);
    let mut children: Vec<&OrgUnit> = all.iter().filter(|u| u.parent_id == Some(id)).collect();
    children.sort_by(|a, b| (kind_rank(a.kind), &a.code).cmp(&(kind_rank(b.kind), &b.code)));
    let edges = units::lineage(&state.db).await?;
    let lineage_row = |other: i64, edge: &units::LineageEdge| {
        by_id(other).map(|u| LineageRow {
            unit: UnitRow::new(u, 0, today),
            effective_date: i18n::date(edge.effective_date),
            kind: edge.kind.clone(),
            note: edge.note.clone().unwrap_or_default(),
        })
    };
    let predecessors = edges
        .iter()
        .filter(|e| e.successor_id == id && e.predecessor_id != id)
        .filter_map(|e| lineage_row(e.predecessor_id, e))
        .collect();
    let successors = edges
        .iter()
        .filter(|e| e.predecessor_id == id && e.successor_id != id)
        .filter_map(|e| lineage_row(e.successor_id, e))
        .collect();
    let can_audit = principal.can(Permission::ViewAudit);
    let history = if can_audit {
        audit::list(
            &state.db,
            &AuditFilter {
                entity_type: Some(AUDIT_ENTITY.into()),
                entity_id: Some(id),
                limit: 20,
                ..AuditFilter::default()
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(ShowPage {
        page: Page::new(&context, "units.title"),
        unit: UnitRow::new(unit, 0, today),
        parent: unit
            .parent_id
            .and_then(by_id)
            .map(|p| UnitRow::new(p, 0, today)),
        children: children
            .into_iter()
            .map(|u| UnitRow::new(u, 0, today))
            .collect(),
        predecessors,
        successors,
        can_manage: principal.can(Permission::ManageUnits),
        can_audit,
        history,
        audit_link: paths::audit_of(AUDIT_ENTITY, id),
        plan_tasks: plan_tasks(&state, &principal, context.lang, id).await?,
    })
}

/// The plan tasks the unit is on or whose criteria it lost points on.
async fn plan_tasks(
    state: &AppState,
    principal: &crate::auth::Principal,
    lang: crate::i18n::Lang,
    unit: i64,
) -> AppResult<Vec<PlanTaskRow>> {
    use chiso_domain::plan::TaskActor;
    Ok(crate::app::plans::unit_tasks(&state.db, principal, unit)
        .await?
        .into_iter()
        .map(|t| PlanTaskRow {
            href: paths::plan_task(t.plan_id, t.task.id),
            title: t.task.title.clone(),
            plan: t.plan_title,
            part: match t.part {
                Some(TaskActor::Lead) => "plans.part_lead",
                Some(_) => "plans.part_coordinator",
                None => "plans.part_none",
            },
            status: crate::describe::plan::status_title(lang, t.task.status),
            weak: t
                .weak_leaves
                .iter()
                .map(|(code, lost)| {
                    i18n::fill(
                        lang,
                        "plans.weak_leaf",
                        &[("code", code), ("lost", &i18n::points(lang, *lost))],
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect())
}
