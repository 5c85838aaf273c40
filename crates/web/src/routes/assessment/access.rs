use super::*;

// ── Who may do what ─────────────────────────────────────────────────────────────────────────

/// The roles that may change a sheet's entries (points, explanations, evidence, answers).
pub(super) const EDIT_ROLES: &[Role] = &[Role::UnitEditor, Role::UnitLeader];
/// The roles that sign a sheet or its explanations off.
pub(super) const SIGN_ROLES: &[Role] = &[Role::UnitLeader];

/// Refuses, before anything is read, a user none of whose roles could ever take the action:
/// a viewer posting to a scoresheet gets 403 whatever the sheet.
pub(super) fn require_any(principal: &Principal, roles: &[Role]) -> AppResult<()> {
    if roles.iter().any(|r| principal.has_role(*r)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The unit-scoped roles the user holds for a unit: assignments on the unit itself or on a
/// unit above it. The leader's role comes first, since a leader may also edit.
pub(super) fn unit_roles(principal: &Principal, all_units: &[OrgUnit], unit_id: i64) -> Vec<Role> {
    let mut roles: Vec<Role> = principal
        .roles
        .iter()
        .filter_map(|assignment| {
            let role = assignment.role;
            let root = assignment.unit_id?;
            (role.is_unit_scoped() && units::descendants(all_units, root).contains(&unit_id))
                .then_some(role)
        })
        .collect();
    roles.sort_by_key(|r| if *r == Role::UnitLeader { 0 } else { 1 });
    roles.dedup();
    roles
}

/// The units the user works for (every unit-scoped assignment and the units below it).
pub(super) fn own_units(principal: &Principal, all_units: &[OrgUnit]) -> Vec<i64> {
    let mut ids: Vec<i64> = principal
        .roles
        .iter()
        .filter(|a| a.role.is_unit_scoped())
        .filter_map(|a| a.unit_id)
        .flat_map(|root| units::descendants(all_units, root))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(super) use crate::app::sheet_context::may_read;

/// A sheet as one request sees it: the application layer's context, loaded once.
pub(super) type Loaded = crate::app::sheet_context::SheetContext;

pub(super) fn parse_id(text: &str) -> AppResult<i64> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// Loads a sheet and refuses users who may not read it (403; 404 when there is no such sheet).
pub(super) async fn load(
    state: &AppState,
    principal: &Principal,
    sheet: &str,
) -> AppResult<Loaded> {
    Loaded::load(state, principal, parse_id(sheet)?).await
}

/// Loads a sheet for a change by its unit's people: anyone else gets 403.
pub(super) async fn load_for_change(
    state: &AppState,
    principal: &Principal,
    sheet: &str,
    roles: &[Role],
) -> AppResult<Loaded> {
    require_any(principal, roles)?;
    Loaded::load_for_change(state, principal, parse_id(sheet)?, roles).await
}

/// Today's date in Vietnam, from the application's clock (tests move it).
pub(super) fn today(state: &AppState) -> NaiveDate {
    state.clock.today()
}

pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}
