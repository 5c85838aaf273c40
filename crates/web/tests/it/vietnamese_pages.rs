//! Every page a user can reach, in Vietnamese: a crawler follows the links of the site as
//! each demo role (and as a visitor), and fails on an English word or a raw code on a
//! Vietnamese page, on a server error, and on an error page outside the site's frame.

use crate::common;

use std::collections::{BTreeSet, HashSet, VecDeque};

/// English words that have no place on a Vietnamese page. Words that are also Vietnamese
/// without their marks (`an`, `do`, `to`, `in`, `tin`, `con`, `ban`) are left out.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "of",
    "is",
    "are",
    "not",
    "with",
    "for",
    "from",
    "this",
    "that",
    "must",
    "cannot",
    "should",
    "invalid",
    "error",
    "draft",
    "finalized",
    "published",
    "submitted",
    "appraisal",
    "appraised",
    "department",
    "commune",
    "province",
    "district",
    "sheet",
    "campaign",
    "wave",
    "leaf",
    "leaves",
    "round",
    "open",
    "closed",
    "none",
    "null",
    "true",
    "false",
    "score",
    "points",
    "found",
    "required",
    "expected",
    "missing",
    "field",
    "value",
    "please",
    "click",
    "here",
    "upload",
    "download",
    "save",
    "saved",
    "cancel",
    "delete",
    "edit",
    "create",
    "created",
    "updated",
    "update",
    "transition",
    "status",
    "state",
    "kind",
    "role",
    "unit",
    "user",
    "users",
    "paper",
    "online",
    "expectations",
    "answers",
    "items",
    "item",
    "factor",
    "index",
    "results",
    "result",
    "survey",
    "responses",
    "secretariat",
    "viewer",
    "admin",
    "editor",
    "leader",
    "appraiser",
    "explanation",
    "returned",
    "pending",
    "approved",
    "rejected",
    "yes",
    "no",
    "page",
    "next",
    "previous",
    "back",
    "home",
    "login",
    "logout",
    "password",
    "search",
    "filter",
    "export",
    "import",
    "total",
    "average",
];

/// Codes of a known kind that must show as titles (`c07` is "Câu 7").
fn raw_code(word: &str) -> bool {
    let lower = word.to_lowercase();
    let question_code = lower.len() == 3
        && lower.starts_with('c')
        && lower[1..].chars().all(|c| c.is_ascii_digit());
    let snake = lower.contains('_') && lower.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    question_code || snake
}

/// Proper nouns, formats and names that are the same in both languages.
const ALLOWED: &[&str] = &[
    "chiso",
    "csv",
    "xlsx",
    "pdf",
    "sipas",
    "papi",
    "pci",
    "par",
    "qr",
    "excel",
    "email",
    "libreoffice",
    "undp",
    "vcci",
    "url",
    "id",
    "ok",
];

/// The visible text of an HTML page: scripts, styles and tags removed, entities decoded.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let after = &rest[start..];
        let lower: String = after.chars().take(8).collect::<String>().to_lowercase();
        // Scripts, styles, and what the user must type as it is (a file's column names in
        // `<code>`, a file's example in `<pre>`, keys in `<kbd>`) are not prose.
        let close = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else if lower.starts_with("<code") {
            "</code>"
        } else if lower.starts_with("<kbd") {
            "</kbd>"
        } else if lower.starts_with("<pre") {
            "</pre>"
        } else {
            ">"
        };
        match after.find(close) {
            Some(end) => {
                text.push(' ');
                rest = &after[end + close.len()..];
            }
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// The site's own links of a page (GET targets).
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let link = part[..end].replace("&amp;", "&");
        if link.starts_with('/') && !link.starts_with("//") {
            found.push(link.split('#').next().unwrap_or_default().to_string());
        }
    }
    found
}

/// What a Vietnamese page must not say.
pub(crate) fn findings(path: &str, html: &str) -> Vec<String> {
    let allowed: HashSet<&str> = ALLOWED.iter().copied().collect();
    let english: HashSet<&str> = ENGLISH.iter().copied().collect();
    let mut found = BTreeSet::new();
    for word in visible_text(html)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        // Acronyms and names in capitals (PAR INDEX, SIPAS) are proper nouns.
        let capitals = word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if allowed.contains(lower.as_str()) || capitals || word.chars().all(|c| c == '_') {
            continue;
        }
        if english.contains(lower.as_str()) || raw_code(word) {
            found.insert(word.to_string());
        }
    }
    found
        .into_iter()
        .map(|word| format!("{path}: {word}"))
        .collect()
}

/// Pages not to visit: downloads, and links that change something or end the session.
fn skipped(path: &str) -> bool {
    let bare = path.split('?').next().unwrap_or_default();
    bare.ends_with(".csv")
        || bare.ends_with(".xlsx")
        || bare.ends_with(".pdf")
        || bare.ends_with(".toml")
        || bare.starts_with("/static/")
        || bare.starts_with("/tai-lieu/")
        || bare.starts_with("/thong-bao/")
        || bare == "/dang-xuat"
        || bare.contains("/in")
        || bare.contains("/qr")
}

const PAGES_PER_ROLE: usize = 400;

/// Pages whose Vietnamese review is still open. Empty since every page passed the review; the
/// list only shrinks: a page listed here that no longer has a finding fails the test.
const PENDING: &[&str] = &[];

/// A path with its numbers as `N` and without its query: the page it is an instance of.
fn page_of(path: &str) -> String {
    let bare = path.split('?').next().unwrap_or_default();
    bare.split('/')
        .map(|part| {
            if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                "N"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_page_of_every_role_is_vietnamese() {
    let mut problems = Vec::new();
    let mut still_pending = BTreeSet::new();
    for mut app in common::apps_with(|config| config.demo_sheets = true).await {
        let backend = app.backend;
        let mut roles: Vec<Option<&str>> = vec![None];
        roles.extend(
            chiso_web::demo::ACCOUNTS
                .iter()
                .map(|(name, _)| Some(*name)),
        );
        for role in roles {
            app.reset_client().await;
            if let Some(name) = role {
                app.login(name).await;
            }
            let who = role.unwrap_or("khách");
            let mut seen = HashSet::new();
            let mut queue: VecDeque<String> = [
                "/",
                "/khong-co-trang-nay",
                "/don-vi/abc",
                "/dot-danh-gia/abc",
            ]
            .into_iter()
            .map(String::from)
            .collect();
            while let Some(path) = queue.pop_front() {
                if seen.len() >= PAGES_PER_ROLE || !seen.insert(path.clone()) || skipped(&path) {
                    continue;
                }
                let response = app.get(&path).await;
                let status = response.status().as_u16();
                let html_page = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("text/html"));
                if (300..400).contains(&status) {
                    let target = common::location(&response);
                    if target.starts_with('/') {
                        queue.push_back(target);
                    }
                    continue;
                }
                let body = response.text().await.unwrap_or_default();
                if status >= 500 {
                    problems.push(format!("{backend:?} {who} {path}: status {status}"));
                    continue;
                }
                if !html_page {
                    continue;
                }
                if status >= 400 && !body.contains("class=\"top\"") {
                    problems.push(format!(
                        "{backend:?} {who} {path}: {status} outside the frame"
                    ));
                }
                let found = findings(&path, &body);
                let page = page_of(&path);
                if PENDING.contains(&page.as_str()) {
                    if !found.is_empty() {
                        // What keeps the page on the list, for whoever clears it (--nocapture).
                        println!("pending {backend:?} {who} {}", found.join(" | "));
                        still_pending.insert(page);
                    }
                } else {
                    problems.extend(found.into_iter().map(|f| format!("{backend:?} {who} {f}")));
                }
                for link in links(&body) {
                    if !seen.contains(&link) {
                        queue.push_back(link);
                    }
                }
            }
            assert!(seen.len() > 3, "{who} reached only {seen:?}");
        }
    }
    let cleared: Vec<&&str> = PENDING
        .iter()
        .filter(|p| !still_pending.contains(**p))
        .collect();
    assert!(
        cleared.is_empty(),
        "these pages are clean now: remove them from PENDING: {cleared:?}"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checks_find_english_and_raw_codes_but_not_vietnamese() {
    let page = "<p>Sở Tư pháp đã nộp bảng tự chấm điểm</p><script>var draft = 1;</script>";
    assert!(findings("/", page).is_empty());
    let page = "<p>Trạng thái: draft</p><p>Câu c07 <b>the</b> campaign</p><i>unit_editor</i>";
    assert_eq!(
        findings("/", page),
        [
            "/: c07",
            "/: campaign",
            "/: draft",
            "/: the",
            "/: unit_editor"
        ]
    );
    assert_eq!(
        links("<a href=\"/a?x=1&amp;y=2#top\">a</a><a href=\"https://x\">x</a>"),
        ["/a?x=1&y=2"]
    );
}

/// Every campaign setup refusal, with sample values; the match makes a new variant a compile
/// error here until it is listed.
fn campaign_setup_refusals() -> Vec<chiso_domain::campaign::SetupRefusal> {
    use chiso_domain::campaign::{CampaignState, SetupRefusal};
    use chiso_domain::classification::BandsError;
    let all = vec![
        SetupRefusal::TitleEmpty,
        SetupRefusal::YearOutOfRange(1999),
        SetupRefusal::RoundsOutOfRange(7),
        SetupRefusal::Bands(BandsError::Empty),
        SetupRefusal::Bands(BandsError::NotDescending("Khá".into())),
        SetupRefusal::Bands(BandsError::Invalid("Tốt".into())),
        SetupRefusal::ExplanationBeforeSelfAssessment,
        SetupRefusal::NotDraft(CampaignState::Open),
        SetupRefusal::GroupUnnamed,
        SetupRefusal::GroupWithoutFramework("department".into()),
        SetupRefusal::UnitUnavailable(12),
        SetupRefusal::ChangedMeanwhile,
    ];
    for refusal in &all {
        match refusal {
            SetupRefusal::TitleEmpty
            | SetupRefusal::YearOutOfRange(_)
            | SetupRefusal::RoundsOutOfRange(_)
            | SetupRefusal::Bands(_)
            | SetupRefusal::ExplanationBeforeSelfAssessment
            | SetupRefusal::NotDraft(_)
            | SetupRefusal::GroupUnnamed
            | SetupRefusal::GroupWithoutFramework(_)
            | SetupRefusal::UnitUnavailable(_)
            | SetupRefusal::ChangedMeanwhile => {}
        }
    }
    all
}

#[test]
fn every_campaign_setup_refusal_says_itself_in_vietnamese() {
    use chiso_web::describe::Describe;
    use chiso_web::i18n::Lang;
    for refusal in campaign_setup_refusals() {
        let vi = refusal.describe(Lang::Vi);
        let en = refusal.describe(Lang::En);
        let found = findings(&format!("{refusal:?}"), &vi);
        assert!(found.is_empty(), "{found:?} in {vi}");
        // Said from a locale key, not the key itself, nor the domain's English.
        assert!(
            !vi.contains("campaigns.") && !en.contains("campaigns."),
            "{vi} / {en}"
        );
        assert_ne!(vi, refusal.to_string());
        assert_ne!(vi, en);
    }
}
