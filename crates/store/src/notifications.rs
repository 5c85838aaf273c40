//! Notifications and the deadlines they remind of. A notice is written once per user and key
//! (`INSERT … ON CONFLICT DO NOTHING` on a unique key), so every process may compute the same
//! reminders and each user still gets one; its e-mail copy is claimed by one process with an
//! atomic update before it is sent.

use chiso_domain::assessment::Stage;
use chiso_domain::notice::NoticeKind;
use chrono::{DateTime, NaiveDate, Utc};

use crate::db::Db;
use crate::error::StoreError;
use crate::{with_db, with_db_read};

/// A notice to write.
#[derive(Clone, Debug, PartialEq)]
pub struct NewNotice {
    pub user_id: i64,
    pub kind: NoticeKind,
    /// Unique per user: the same key again is the same notice, not written twice.
    pub key: String,
    /// The values the message is written with.
    pub args: serde_json::Value,
    /// Where the notice leads, a path of the site.
    pub link: Option<String>,
}

/// A stored notice.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: i64,
    pub user_id: i64,
    pub kind: NoticeKind,
    pub args: serde_json::Value,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: i64,
    user_id: i64,
    kind: String,
    args: String,
    link: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl TryFrom<NoticeRow> for Notice {
    type Error = StoreError;

    fn try_from(row: NoticeRow) -> Result<Notice, StoreError> {
        let kind = NoticeKind::parse(&row.kind).ok_or_else(|| {
            StoreError::Db(sqlx::Error::Decode(
                format!("notification {}: unknown kind {}", row.id, row.kind).into(),
            ))
        })?;
        Ok(Notice {
            id: row.id,
            user_id: row.user_id,
            kind,
            args: serde_json::from_str(&row.args).unwrap_or(serde_json::Value::Null),
            link: row.link,
            created_at: row.created_at,
            read_at: row.read_at,
        })
    }
}

const COLUMNS: &str = "id, user_id, kind, args, link, created_at, read_at";

/// Writes the notices not written before; returns how many are new.
pub async fn notify(db: &Db, notices: &[NewNotice], now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut written = 0;
    with_db!(db, pool => {
        for notice in notices {
            written += sqlx::query(
                "INSERT INTO notifications (user_id, kind, notice_key, args, link, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, notice_key) DO NOTHING")
                .bind(notice.user_id)
                .bind(notice.kind.as_str())
                .bind(&notice.key)
                .bind(notice.args.to_string())
                .bind(&notice.link)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
        }
    });
    Ok(written)
}

/// A user's latest notices, newest first.
pub async fn recent(db: &Db, user_id: i64, limit: i64) -> Result<Vec<Notice>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let rows = with_db_read!(db, pool => sqlx::query_as::<_, NoticeRow>(&sql)
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await?);
    rows.into_iter().map(Notice::try_from).collect()
}

/// One of a user's notices (none when it is another user's).
pub async fn get(db: &Db, user_id: i64, id: i64) -> Result<Option<Notice>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2");
    let row = with_db_read!(db, pool => sqlx::query_as::<_, NoticeRow>(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?);
    row.map(Notice::try_from).transpose()
}

/// How many of a user's notices are unread.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
    Ok(with_db_read!(db, pool => sqlx::query_scalar::<_, i64>(SQL)
        .bind(user_id)
        .fetch_one(pool)
        .await?))
}

/// Marks a user's notices read: one, or all of them.
pub async fn mark_read(
    db: &Db,
    user_id: i64,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 \
             WHERE user_id = $2 AND read_at IS NULL AND ($3 IS NULL OR id = $3)")
            .bind(now)
            .bind(user_id)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A deadline a unit still owes, with one of the people who answer for it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenDeadline {
    pub campaign_id: i64,
    pub campaign_title: String,
    /// None until the unit first opens its sheet.
    pub sheet_id: Option<i64>,
    pub unit_id: i64,
    pub unit_name: String,
    pub stage: Stage,
    /// The campaign's deadline, or the unit's extension.
    pub deadline: NaiveDate,
    pub user_id: i64,
}

#[derive(sqlx::FromRow)]
struct OpenDeadlineRow {
    campaign_id: i64,
    campaign_title: String,
    sheet_id: Option<i64>,
    unit_id: i64,
    unit_name: String,
    stage: String,
    deadline: NaiveDate,
    user_id: i64,
}

/// The deadlines units still owe in open campaigns: self-assessment for sheets not yet
/// submitted (or not yet opened), explanation for sheets asked to explain. Each comes once per active unit editor
/// and unit leader of the unit, with the unit's extension in place of the campaign's date.
pub async fn open_deadlines(db: &Db) -> Result<Vec<OpenDeadline>, StoreError> {
    // A unit owes its self-assessment from the campaign's opening, before its sheet exists
    // (sheets are created on first visit).
    const SQL: &str = "\
        SELECT c.id AS campaign_id, c.title AS campaign_title, s.id AS sheet_id, cu.unit_id, \
               u.name AS unit_name, d.stage, COALESCE(e.valid_until, d.deadline) AS deadline, \
               r.user_id \
        FROM campaign_units cu \
        JOIN campaigns c ON c.id = cu.campaign_id \
        JOIN org_units u ON u.id = cu.unit_id \
        LEFT JOIN sheets s ON s.campaign_id = cu.campaign_id AND s.unit_id = cu.unit_id \
        JOIN ( \
            SELECT id AS campaign_id, 'self_assessment' AS stage, self_assessment_deadline AS deadline \
              FROM campaigns WHERE self_assessment_deadline IS NOT NULL \
            UNION ALL \
            SELECT id, 'explanation', explanation_deadline \
              FROM campaigns WHERE explanation_deadline IS NOT NULL \
        ) d ON d.campaign_id = c.id \
        LEFT JOIN extensions e ON e.campaign_id = c.id AND e.unit_id = cu.unit_id AND e.stage = d.stage \
        JOIN role_assignments r ON r.unit_id = cu.unit_id AND r.role IN ('unit_editor', 'unit_leader') \
        JOIN users us ON us.id = r.user_id AND us.active \
        WHERE c.state IN ('open', 'appraisal') \
          AND ((d.stage = 'self_assessment' AND (s.id IS NULL OR s.status = 'draft')) \
            OR (d.stage = 'explanation' AND s.status = 'explanation_requested')) \
        ORDER BY c.id, cu.unit_id, d.stage, r.user_id";
    let rows =
        with_db_read!(db, pool => sqlx::query_as::<_, OpenDeadlineRow>(SQL).fetch_all(pool).await?);
    rows.into_iter()
        .map(|row| {
            let stage = Stage::parse(&row.stage).ok_or_else(|| {
                StoreError::Db(sqlx::Error::Decode(
                    format!(
                        "campaign {} unit {}: unknown stage {}",
                        row.campaign_id, row.unit_id, row.stage
                    )
                    .into(),
                ))
            })?;
            Ok(OpenDeadline {
                campaign_id: row.campaign_id,
                campaign_title: row.campaign_title,
                sheet_id: row.sheet_id,
                unit_id: row.unit_id,
                unit_name: row.unit_name,
                stage,
                deadline: row.deadline,
                user_id: row.user_id,
            })
        })
        .collect()
}

/// A notice whose e-mail this process has claimed, with its addressee.
#[derive(Clone, Debug)]
pub struct ClaimedEmail {
    pub notice: Notice,
    pub email: String,
    pub full_name: String,
}

/// Gives attempts up after this many failures.
const MAX_EMAIL_ATTEMPTS: i64 = 5;

/// Claims up to `limit` notices of the last two days whose e-mail is not yet sent, for users
/// with an address. Each is claimed with its own conditional update, so two processes never
/// send the same one.
pub async fn claim_emails(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ClaimedEmail>, StoreError> {
    let sql = format!(
        "SELECT n.id, n.user_id, n.kind, n.args, n.link, n.created_at, n.read_at \
         FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE n.emailed_at IS NULL AND n.email_attempts < {MAX_EMAIL_ATTEMPTS} \
           AND n.created_at > $2 AND u.email IS NOT NULL AND u.email <> '' AND u.active \
         ORDER BY n.id LIMIT $1"
    );
    // Older notices are not mailed: a server that gets SMTP later does not send last month's.
    let since = now - chrono::Duration::days(2);
    let candidates = with_db_read!(db, pool => sqlx::query_as::<_, NoticeRow>(&sql)
        .bind(limit)
        .bind(since)
        .fetch_all(pool)
        .await?);
    let mut claimed = Vec::new();
    for row in candidates {
        let notice = Notice::try_from(row)?;
        let won: Option<(String, String)> = with_db!(db, pool => sqlx::query_as(
            "UPDATE notifications SET emailed_at = $1 WHERE id = $2 AND emailed_at IS NULL \
             RETURNING (SELECT email FROM users WHERE id = notifications.user_id), \
                       (SELECT full_name FROM users WHERE id = notifications.user_id)")
            .bind(now)
            .bind(notice.id)
            .fetch_optional(pool)
            .await?);
        if let Some((email, full_name)) = won {
            claimed.push(ClaimedEmail {
                notice,
                email,
                full_name,
            });
        }
    }
    Ok(claimed)
}

/// Gives a claimed e-mail back after a failed send: it is tried again later.
pub async fn email_failed(db: &Db, notice_id: i64) -> Result<(), StoreError> {
    with_db!(db, pool => {
        sqlx::query("UPDATE notifications SET emailed_at = NULL, email_attempts = email_attempts + 1 WHERE id = $1")
            .bind(notice_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The active people who answer for the given units (their editors and leaders), with the
/// unit each answers for.
pub async fn unit_people(db: &Db, unit_ids: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = unit_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT DISTINCT r.user_id, r.unit_id FROM role_assignments r \
         JOIN users u ON u.id = r.user_id AND u.active \
         WHERE r.role IN ('unit_editor', 'unit_leader') AND r.unit_id IN ({list}) \
         ORDER BY r.unit_id, r.user_id"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, (i64, i64)>(&sql)
        .fetch_all(pool)
        .await?),
    )
}

/// The active people holding any of the given province-wide roles (`secretariat`,
/// `appraiser`, `viewer`, …).
pub async fn role_holders(db: &Db, roles: &[&str]) -> Result<Vec<i64>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=roles.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT DISTINCT r.user_id FROM role_assignments r \
         JOIN users u ON u.id = r.user_id AND u.active \
         WHERE r.role IN ({placeholders}) ORDER BY r.user_id"
    );
    Ok(with_db_read!(db, pool => {
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for role in roles {
            query = query.bind(*role);
        }
        query.fetch_all(pool).await?
    }))
}

/// A campaign's title and its participating units, for the notices of its events.
pub async fn campaign_audience(
    db: &Db,
    campaign_id: i64,
) -> Result<(String, Vec<i64>), StoreError> {
    let title: String = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT title FROM campaigns WHERE id = $1")
        .bind(campaign_id)
        .fetch_one(pool)
        .await?);
    let units: Vec<i64> = with_db_read!(db, pool => sqlx::query_scalar(
        "SELECT unit_id FROM campaign_units WHERE campaign_id = $1 ORDER BY unit_id")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?);
    Ok((title, units))
}

/// A campaign's title.
pub async fn campaign_title(db: &Db, campaign_id: i64) -> Result<String, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT title FROM campaigns WHERE id = $1")
        .bind(campaign_id)
        .fetch_one(pool)
        .await?))
}

/// The units of a campaign whose sheet waits for their explanation, with their names.
pub async fn explanation_units(
    db: &Db,
    campaign_id: i64,
) -> Result<Vec<(i64, String, i64)>, StoreError> {
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT s.unit_id, u.name, s.id FROM sheets s JOIN org_units u ON u.id = s.unit_id \
         WHERE s.campaign_id = $1 AND s.status = 'explanation_requested' ORDER BY s.unit_id")
        .bind(campaign_id)
        .fetch_all(pool)
        .await?),
    )
}

/// A unit's name.
pub async fn unit_name(db: &Db, unit_id: i64) -> Result<String, StoreError> {
    Ok(with_db_read!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT name FROM org_units WHERE id = $1")
        .bind(unit_id)
        .fetch_one(pool)
        .await?))
}
