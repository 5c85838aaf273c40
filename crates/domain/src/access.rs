//! Roles and what they may do (roles scoped to units). The web layer asks these
//! questions on every request; the answers depend on nothing but the roles.

use std::fmt;

/// A role, assigned to a user for a set of units.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: users, everything else.
    Admin,
    /// Sở Nội vụ staff who manage units, frameworks and campaigns.
    Secretariat,
    /// Enters a unit's self-assessment.
    UnitEditor,
    /// Approves and submits for a unit.
    UnitLeader,
    /// A member of the appraisal council, scoped to areas of the framework.
    Appraiser,
    /// Province leadership: reads results.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Secretariat,
        Role::UnitEditor,
        Role::UnitLeader,
        Role::Appraiser,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretariat => "secretariat",
            Role::UnitEditor => "unit_editor",
            Role::UnitLeader => "unit_leader",
            Role::Appraiser => "appraiser",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Roles whose scope is a set of units (the others see the whole installation).
    pub fn is_unit_scoped(self) -> bool {
        matches!(self, Role::UnitEditor | Role::UnitLeader)
    }
}

/// A stored role that is not one chiso knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role")]
pub struct UnknownRole(pub String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;

    fn try_from(text: String) -> Result<Role, UnknownRole> {
        Role::parse(&text).ok_or(UnknownRole(text))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Things a request may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the unit tree, frameworks and campaigns.
    ViewSetup,
    ManageUnits,
    ManageFrameworks,
    ManageCampaigns,
    ManageUsers,
    ViewAudit,
    /// Import the national indices' published results, set the province's targets and the
    /// agencies responsible for each item (docs/method.md §5.8).
    ManageIndices,
    /// Draft and edit the province's improvement plan, open reporting periods, accept or send
    /// back finished tasks (docs/method.md §7.9).
    ManagePlans,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::ViewSetup,
        Permission::ManageUnits,
        Permission::ManageFrameworks,
        Permission::ManageCampaigns,
        Permission::ManageUsers,
        Permission::ViewAudit,
        Permission::ManageIndices,
        Permission::ManagePlans,
    ];
}

/// How far a role reads a survey's single responses (the microdata, with its comments): the
/// secretariat and the administrator every unit's, a unit's editor and leader their own units'
/// (and the units below them), appraisers and viewers none (they read the results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseReach {
    AllUnits,
    OwnUnits,
    Nothing,
}

pub fn single_responses(role: Role) -> ResponseReach {
    match role {
        Role::Admin | Role::Secretariat => ResponseReach::AllUnits,
        Role::UnitEditor | Role::UnitLeader => ResponseReach::OwnUnits,
        Role::Appraiser | Role::Viewer => ResponseReach::Nothing,
    }
}

/// Whether a role grants a permission. The secretariat manages the evaluation year but not
/// accounts; unit roles and appraisers read the setup they work in.
pub fn role_grants(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => true,
        Role::Secretariat => !matches!(permission, ManageUsers),
        Role::Viewer => matches!(permission, ViewSetup),
        Role::UnitEditor | Role::UnitLeader | Role::Appraiser => matches!(permission, ViewSetup),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_manages_users_and_only_staff_change_the_setup() {
        for role in Role::ALL {
            assert!(role_grants(role, Permission::ViewSetup), "{role}");
            assert_eq!(
                role_grants(role, Permission::ManageUsers),
                role == Role::Admin
            );
            let staff = matches!(role, Role::Admin | Role::Secretariat);
            for permission in [
                Permission::ManageUnits,
                Permission::ManageFrameworks,
                Permission::ManageCampaigns,
                Permission::ViewAudit,
                Permission::ManageIndices,
                Permission::ManagePlans,
            ] {
                assert_eq!(
                    role_grants(role, permission),
                    staff,
                    "{role} {permission:?}"
                );
            }
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
