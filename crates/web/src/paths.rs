//! The site's addresses, written once: constants for fixed pages, builders for pages of one
//! thing (`paths::unit(7)` is `/don-vi/7`), and [`with_msg`] for the redirect that shows a
//! saved-message. Links, redirects and menus use these; the routers keep their patterns beside
//! the handlers (the authorization matrix reads them there).
//!
//! A new page adds its constant or builder here, next to its area's others.

// ── Accounts and the frame ─────────────────────────────────────────────────────────────────

pub const HOME: &str = "/";
pub const LOGIN: &str = "/dang-nhap";
pub const LOGOUT: &str = "/dang-xuat";
pub const PASSWORD: &str = "/doi-mat-khau";
pub const LANGUAGE: &str = "/ngon-ngu";
pub const AUDIT: &str = "/nhat-ky";

/// The login page, coming back to `next` afterwards.
pub fn login_then(next: &str) -> String {
    format!("{LOGIN}?next={}", crate::error::urlencode(next))
}

/// The audit log filtered to one entity (`org_unit` 7).
pub fn audit_of(entity_type: &str, entity_id: i64) -> String {
    format!("{AUDIT}?entity_type={entity_type}&entity_id={entity_id}")
}

// ── Units ───────────────────────────────────────────────────────────────────────────────────

pub const UNITS: &str = "/don-vi";
pub const UNIT_NEW: &str = "/don-vi/moi";
pub const UNITS_MERGE: &str = "/don-vi/hop-nhat";
pub const UNITS_IMPORT: &str = "/don-vi/nhap";

pub fn unit(id: i64) -> String {
    format!("{UNITS}/{id}")
}

pub fn unit_edit(id: i64) -> String {
    format!("{UNITS}/{id}/sua")
}

// ── Frameworks ──────────────────────────────────────────────────────────────────────────────

pub const FRAMEWORKS: &str = "/bo-tieu-chi";

pub fn framework(id: i64) -> String {
    format!("{FRAMEWORKS}/{id}")
}

// ── Users ───────────────────────────────────────────────────────────────────────────────────

pub const USERS: &str = "/nguoi-dung";

pub fn user(id: i64) -> String {
    format!("{USERS}/{id}")
}

// ── The other areas (their pages add builders here as they move to them) ───────────────────

pub const SELF_ASSESSMENT: &str = "/tu-danh-gia";
pub const APPRAISAL: &str = "/tham-dinh";
pub const CAMPAIGNS: &str = "/dot-danh-gia";
pub const SURVEYS: &str = "/khao-sat";

pub fn campaign(id: i64) -> String {
    format!("{CAMPAIGNS}/{id}")
}

// ── National indices ───────────────────────────────────────────────────────────────────────

pub const INDICES: &str = "/chi-so-quoc-gia";
pub const INDICES_OVERVIEW: &str = "/chi-so-quoc-gia/tong-quan";

/// An index's page of one year (`par`, 2023).
pub fn index_year(index: &str, year: i32) -> String {
    format!("{INDICES}/{index}/{year}")
}

/// A page with the message `key` shown once at its top (`?msg=common.saved`; the page shows only
/// the keys it knows).
pub fn with_msg(path: &str, key: &str) -> String {
    format!("{path}?msg={key}")
}

/// Where to go after login: a path of this site, or `/`. The value is parsed as a URL
/// relative to the site and must keep the site's host; control characters and backslashes are
/// refused outright, because browsers strip or reinterpret them (`/\t/evil.example` becomes
/// `//evil.example`, another site).
pub fn safe_next(next: Option<&str>) -> String {
    static BASE: std::sync::LazyLock<url::Url> =
        std::sync::LazyLock::new(|| url::Url::parse("http://chiso.invalid/").expect("a URL"));
    let Some(path) = next else {
        return HOME.to_string();
    };
    let plain = path.starts_with('/')
        && !path.starts_with("//")
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    match BASE.join(path) {
        Ok(url) if plain && url.host_str() == BASE.host_str() && url.port().is_none() => {
            let mut local = url.path().to_string();
            if let Some(query) = url.query() {
                local.push('?');
                local.push_str(query);
            }
            local
        }
        _ => HOME.to_string(),
    }
}

// ── Improvement plans ───────────────────────────────────────────────────────────────────────

pub const PLANS: &str = "/ke-hoach";
pub const PLAN_DRAFT: &str = "/ke-hoach/du-thao";
pub const PLAN_IMPORT: &str = "/ke-hoach/nhap";
/// A unit's tasks, as lead and as coordinator.
pub const MY_TASKS: &str = "/nhiem-vu";

pub fn plan(id: i64) -> String {
    format!("{PLANS}/{id}")
}

pub fn plan_task(plan: i64, task: i64) -> String {
    format!("{PLANS}/{plan}/nhiem-vu/{task}")
}

pub fn plan_period(plan: i64, period: &str) -> String {
    format!("{PLANS}/{plan}/ky-bao-cao/{period}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_write_the_routes_addresses() {
        assert_eq!(unit(7), "/don-vi/7");
        assert_eq!(unit_edit(7), "/don-vi/7/sua");
        assert_eq!(
            with_msg(&framework(3), "frameworks.imported"),
            "/bo-tieu-chi/3?msg=frameworks.imported"
        );
        assert_eq!(
            audit_of("org_unit", 7),
            "/nhat-ky?entity_type=org_unit&entity_id=7"
        );
        assert_eq!(
            login_then("/don-vi?q=a b"),
            "/dang-nhap?next=/don-vi%3Fq%3Da%20b"
        );
    }
}
