//! Reading the counters.

use super::*;

/// The counters of one unit: the survey crate's [`Counts`] (what [`index_from_counts`] takes)
/// and the responses set aside as likely duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitCounts {
    pub unit_id: i64,
    pub counts: Counts,
    pub flagged: u64,
}

fn in_list(first: usize, count: usize) -> String {
    (0..count)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn stat(n: i64, weight_sum: f64, weight_sq_sum: f64) -> AnswerStat {
    AnswerStat {
        n: n.max(0) as u64,
        weight_sum,
        weight_sq_sum,
    }
}

/// Which responses a figure counts: every channel or one, every service or one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice<'a> {
    pub channel: Option<&'a Channel>,
    pub service_id: Option<i64>,
}

impl<'a> Slice<'a> {
    pub fn channel(channel: Option<&'a Channel>) -> Slice<'a> {
        Slice {
            channel,
            service_id: None,
        }
    }

    pub fn service(service_id: i64) -> Slice<'a> {
        Slice {
            channel: None,
            service_id: Some(service_id),
        }
    }
}

/// The counters of `units` in a wave (every unit of the wave with counters when `units` is
/// empty), over every channel or one, read from the counter tables only: a few hundred rows per
/// unit whatever the number of responses, so an index for a unit or a group is milliseconds
/// after ten million responses. Units without counters come back with empty counters, in the
/// order asked.
pub async fn counts(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    channel: Option<&Channel>,
) -> Result<Vec<UnitCounts>, StoreError> {
    counts_of_slice(db, wave_id, units, &Slice::channel(channel)).await
}

/// [`counts`] of one slice: a channel, a service or both.
pub async fn counts_of_slice(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<Vec<UnitCounts>, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let shape = get_questionnaire(db, wave.questionnaire_id)
        .await?
        .shape()?;
    counts_of_shape(db, wave_id, &shape, units, slice).await
}

async fn counts_of_shape(
    db: &Db,
    wave_id: i64,
    shape: &QuestionnaireShape,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<Vec<UnitCounts>, StoreError> {
    // '' selects every channel (a blank channel alone is not something the screens ask for);
    // service -1 every service (0 is "none named").
    let channel = slice
        .channel
        .map(|c| normalize_channel(c.as_str()))
        .unwrap_or_default();
    let service = slice.service_id.unwrap_or(-1);
    let filter = if units.is_empty() {
        String::new()
    } else {
        format!(" AND unit_id IN ({})", in_list(4, units.len()))
    };
    let groups_sql = format!(
        "SELECT unit_id, CAST(SUM(n) AS BIGINT), SUM(weight_sum), SUM(weight_sq_sum), CAST(SUM(flagged) AS BIGINT), \
         CAST(SUM(expectations_n) AS BIGINT), SUM(expectations_weight_sum), SUM(expectations_weight_sq_sum), \
         CAST(SUM(comments) AS BIGINT) FROM response_stats WHERE wave_id = $1 AND ($2 = '' OR channel = $2) \
         AND ($3 < 0 OR service_id = $3){filter} \
         GROUP BY unit_id"
    );
    let cells_sql = |table: &str, key: &str| {
        format!(
            "SELECT unit_id, {key}, CAST(SUM(n) AS BIGINT), SUM(weight_sum), SUM(weight_sq_sum) FROM {table} \
             WHERE wave_id = $1 AND ($2 = '' OR channel = $2) AND ($3 < 0 OR service_id = $3){filter} \
             GROUP BY unit_id, {key}"
        )
    };
    macro_rules! fetch {
        ($ty:ty, $sql:expr) => {{
            let sql = $sql;
            with_db_read!(db, pool => {
                let mut query = sqlx::query_as::<_, $ty>(&sql).bind(wave_id).bind(&channel).bind(service);
                for unit in units {
                    query = query.bind(*unit);
                }
                query.fetch_all(pool).await?
            })
        }};
    }
    let groups: Vec<GroupSums> = fetch!(GroupSums, groups_sql);
    let answers: Vec<CellSums> = fetch!(CellSums, cells_sql("answer_stats", "item, value"));
    let demographics: Vec<CellSums> =
        fetch!(CellSums, cells_sql("demographic_stats", "question, value"));
    let expectations: Vec<AreaSums> = fetch!(AreaSums, cells_sql("expectation_stats", "area"));

    Ok(unit_counts(
        shape,
        units,
        groups,
        answers,
        demographics,
        expectations,
    ))
}

/// The sums per unit of `response_stats`: unit, n, Σw, Σw², flagged, expectations n, Σw,
/// Σw², comments.
type GroupSums = (i64, i64, f64, f64, i64, i64, f64, f64, i64);
/// The sums per unit and cell of `answer_stats` or `demographic_stats`: unit, question,
/// value, n, Σw, Σw².
type CellSums = (i64, i64, i64, i64, f64, f64);
/// The sums per unit and area of `expectation_stats`: unit, area, n, Σw, Σw².
type AreaSums = (i64, i64, i64, f64, f64);

/// Each unit's counters from the sums read, in the order of `units` (or of unit id when
/// `units` is empty: every unit with a response).
fn unit_counts(
    shape: &QuestionnaireShape,
    units: &[i64],
    groups: Vec<GroupSums>,
    answers: Vec<CellSums>,
    demographics: Vec<CellSums>,
    expectations: Vec<AreaSums>,
) -> Vec<UnitCounts> {
    let mut order: Vec<i64> = units.to_vec();
    if order.is_empty() {
        order = groups.iter().map(|g| g.0).collect();
        order.sort();
    }
    let mut by_unit: HashMap<i64, UnitCounts> = order
        .iter()
        .map(|&unit_id| {
            (
                unit_id,
                UnitCounts {
                    unit_id,
                    counts: shape.empty_counts(),
                    flagged: 0,
                },
            )
        })
        .collect();
    for (unit_id, n, w, w2, flagged, en, ew, ew2, comments) in groups {
        if let Some(unit) = by_unit.get_mut(&unit_id) {
            unit.counts.responses = stat(n, w, w2);
            unit.flagged = flagged.max(0) as u64;
            unit.counts.expectations_answered = stat(en, ew, ew2);
            unit.counts.comments = comments.max(0) as u64;
        }
    }
    for (unit_id, item, value, n, w, w2) in answers {
        if let Some(unit) = by_unit.get_mut(&unit_id) {
            let per_item = unit.counts.answers_per_item as i64;
            if value >= 1 && value <= per_item {
                let index = (item * per_item + value - 1) as usize;
                if let Some(cell) = unit.counts.answers.get_mut(index) {
                    *cell = stat(n, w, w2);
                }
            }
        }
    }
    for (unit_id, question, value, n, w, w2) in demographics {
        if let Some(cell) = by_unit.get_mut(&unit_id).and_then(|u| {
            u.counts
                .demographics
                .get_mut(question as usize)?
                .get_mut((value - 1) as usize)
        }) {
            *cell = stat(n, w, w2);
        }
    }
    for (unit_id, area, n, w, w2) in expectations {
        if let Some(cell) = by_unit
            .get_mut(&unit_id)
            .and_then(|u| u.counts.expectations.get_mut((area - 1) as usize))
        {
            *cell = stat(n, w, w2);
        }
    }
    order
        .iter()
        .filter_map(|unit_id| by_unit.remove(unit_id))
        .collect()
}

/// The result of one unit, or of a group of units pooled (their counters summed), computed by
/// the survey crate from the counters only.
pub async fn result(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    channel: Option<&Channel>,
) -> Result<SurveyResult, StoreError> {
    result_of_slice(db, wave_id, units, &Slice::channel(channel)).await
}

/// [`result`] of one slice: a channel, a service or both.
pub async fn result_of_slice(
    db: &Db,
    wave_id: i64,
    units: &[i64],
    slice: &Slice<'_>,
) -> Result<SurveyResult, StoreError> {
    let wave = get_wave(db, wave_id).await?;
    let row = get_questionnaire(db, wave.questionnaire_id).await?;
    let questionnaire = row.questionnaire()?;
    let shape = row.shape()?;
    let parts = counts_of_shape(db, wave_id, &shape, units, slice).await?;
    let mut total = shape.empty_counts();
    for part in &parts {
        total.merge(&part.counts);
    }
    Ok(index_from_counts(&questionnaire, &total))
}

/// The channels that have counters in a wave.
pub async fn channels(db: &Db, wave_id: i64) -> Result<Vec<Channel>, StoreError> {
    let names = with_db_read!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT channel FROM response_stats WHERE wave_id = $1 ORDER BY channel")
        .bind(wave_id)
        .fetch_all(pool)
        .await?);
    Ok(names.into_iter().map(Channel::from).collect())
}

/// A stamp of everything a wave's results read — responses (the newest id, and the counters'
/// sums, which an exclusion or a flag moves), waves, their units and services, units and
/// questionnaires — in one cheap statement: the same stamp means the same results, so a
/// process may keep computed results until it changes, and a write by any process on the same
/// database changes it.
pub async fn results_stamp(db: &Db) -> Result<String, StoreError> {
    const SQL: &str = "SELECT \
        (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM responses), \
        (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM response_stats), \
        (SELECT CAST(COALESCE(SUM(flagged), 0) AS BIGINT) FROM response_stats), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM response_stats), \
        (SELECT COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM waves), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM waves), \
        (SELECT CAST(COUNT(*) + COALESCE(SUM(COALESCE(transactions, 0)), 0) AS BIGINT) FROM wave_units), \
        (SELECT CAST(COALESCE(MAX(id), 0) + COUNT(*) + COALESCE(SUM(COALESCE(transactions, 0)), 0) AS BIGINT) FROM wave_services), \
        (SELECT COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM org_units), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM questionnaires)";
    let row: (i64, i64, i64, i64, String, i64, i64, i64, String, i64) =
        with_db_read!(db, pool => sqlx::query_as(SQL).fetch_one(pool).await?);
    Ok(format!(
        "{}/{}/{}/{}/{}/{}/{}/{}/{}/{}",
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9
    ))
}
