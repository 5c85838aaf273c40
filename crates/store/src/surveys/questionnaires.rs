//! Questionnaires.

use super::*;

/// What the store needs of a questionnaire to check and pack a response: the item codes in
/// order with the number of values each takes (answers are 1..=values, 0 = blank), the
/// demographic questions likewise, and the expectation areas a respondent picks from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuestionnaireShape {
    pub item_codes: Vec<String>,
    pub item_values: Vec<u8>,
    #[serde(default)]
    pub demographic_values: Vec<u8>,
    #[serde(default)]
    pub expectation_areas: u8,
    #[serde(default)]
    pub max_expectations: u8,
}

impl QuestionnaireShape {
    /// Position of an item by code.
    pub fn item_index(&self, code: &str) -> Option<usize> {
        self.item_codes.iter().position(|c| c == code)
    }

    fn check(&self) -> Result<(), QuestionnaireRefusal> {
        if self.item_codes.is_empty() || self.item_codes.len() > 255 {
            return Err(QuestionnaireRefusal::ItemCount {
                count: self.item_codes.len(),
            });
        }
        if self.item_codes.len() != self.item_values.len() {
            return Err(QuestionnaireRefusal::ValuesMismatch {
                items: self.item_codes.len(),
                values: self.item_values.len(),
            });
        }
        if self.item_values.contains(&0) || self.demographic_values.contains(&0) {
            return Err(QuestionnaireRefusal::NoValues);
        }
        let mut seen = HashSet::new();
        if let Some(code) = self.item_codes.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(QuestionnaireRefusal::ItemTwice { code: code.clone() });
        }
        Ok(())
    }

    /// Checks a response's packed parts, naming the first fault.
    pub fn check_response(
        &self,
        answers: &[u8],
        demographics: &[u8],
        expectations: &[u8],
    ) -> Result<(), ShapeFault> {
        if answers.len() != self.item_values.len() {
            return Err(ShapeFault::AnswerCount {
                found: answers.len(),
                expected: self.item_values.len(),
            });
        }
        for (item, (&value, &values)) in answers.iter().zip(&self.item_values).enumerate() {
            if value > values {
                return Err(ShapeFault::Answer {
                    item,
                    code: self.item_codes[item].clone(),
                    value,
                    values,
                });
            }
        }
        if !demographics.is_empty() {
            if demographics.len() != self.demographic_values.len() {
                return Err(ShapeFault::DemographicCount {
                    found: demographics.len(),
                    expected: self.demographic_values.len(),
                });
            }
            for (question, (&value, &values)) in demographics
                .iter()
                .zip(&self.demographic_values)
                .enumerate()
            {
                if value > values {
                    return Err(ShapeFault::Demographic {
                        question,
                        value,
                        values,
                    });
                }
            }
        }
        if expectations.len() > usize::from(self.max_expectations) {
            return Err(ShapeFault::TooManyExpectations {
                chosen: expectations.len(),
                max: self.max_expectations,
            });
        }
        let mut seen = HashSet::new();
        for &area in expectations {
            if area == 0 || area > self.expectation_areas {
                return Err(ShapeFault::Expectation {
                    area,
                    areas: self.expectation_areas,
                });
            }
            if !seen.insert(area) {
                return Err(ShapeFault::ExpectationTwice { area });
            }
        }
        Ok(())
    }

    /// The shape of a questionnaire of the survey crate: every item takes the scale's answers.
    pub fn of(questionnaire: &Questionnaire) -> QuestionnaireShape {
        let answers = questionnaire.scale.answers.len().min(250) as u8;
        QuestionnaireShape {
            item_codes: questionnaire.items.iter().map(|i| i.code.clone()).collect(),
            item_values: vec![answers; questionnaire.items.len()],
            demographic_values: questionnaire
                .demographics
                .iter()
                .map(|d| d.options.len().min(250) as u8)
                .collect(),
            expectation_areas: questionnaire
                .expectations
                .as_ref()
                .map_or(0, |e| e.question.options.len().min(250) as u8),
            max_expectations: questionnaire
                .expectations
                .as_ref()
                .map_or(0, |e| e.max_choices.min(250) as u8),
        }
    }

    /// Empty counters of this shape (the survey crate's [`Counts`], built without parsing the
    /// questionnaire's definition: the submission path only has the shape).
    pub fn empty_counts(&self) -> Counts {
        let per_item = usize::from(self.item_values.iter().copied().max().unwrap_or(1));
        Counts {
            responses: AnswerStat::default(),
            answers: vec![AnswerStat::default(); self.item_values.len() * per_item],
            answers_per_item: per_item,
            demographics: self
                .demographic_values
                .iter()
                .map(|&k| vec![AnswerStat::default(); usize::from(k)])
                .collect(),
            expectations: vec![AnswerStat::default(); usize::from(self.expectation_areas)],
            expectations_answered: AnswerStat::default(),
            comments: 0,
        }
    }
}

/// A questionnaire version as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct QuestionnaireRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    /// `toml` or `json`: how `definition` is written.
    pub format: String,
    pub definition: String,
    /// [`QuestionnaireShape`] as JSON.
    pub shape: String,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
}

impl QuestionnaireRow {
    pub fn shape(&self) -> Result<QuestionnaireShape, StoreError> {
        parse_shape(&self.shape)
    }

    /// The questionnaire itself, parsed from its stored definition.
    pub fn questionnaire(&self) -> Result<Questionnaire, StoreError> {
        if self.format != "toml" {
            return Err(SurveyRefusal::from(QuestionnaireRefusal::NotToml {
                code: self.code.clone(),
                version: self.version,
                format: self.format.clone(),
            })
            .into());
        }
        // Registered TOML was read when it was stored: one that no longer reads is corrupt.
        Questionnaire::from_toml(&format!("{}.toml", self.code), &self.definition).map_err(|e| {
            StoreError::Corrupt {
                what: "questionnaire definition",
                detail: e.to_string(),
            }
        })
    }
}

pub(super) fn parse_shape(text: &str) -> Result<QuestionnaireShape, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: "questionnaire shape",
        detail: e.to_string(),
    })
}

/// A questionnaire to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewQuestionnaire {
    pub code: String,
    pub title: String,
    pub format: String,
    pub definition: String,
    pub shape: QuestionnaireShape,
}

const QUESTIONNAIRE_COLUMNS: &str =
    "id, code, version, title, format, definition, shape, item_count, created_at";

/// Stores a questionnaire as the next version of its code, unless the latest version has the
/// same definition (then that version's id is returned and nothing is written): versions are
/// immutable, like frameworks, because stored answers are packed in their item order.
pub async fn register_questionnaire(
    db: &Db,
    actor: &Actor,
    new: &NewQuestionnaire,
) -> Result<i64, StoreError> {
    new.shape.check().map_err(SurveyRefusal::from)?;
    if new.code.trim().is_empty() || new.title.trim().is_empty() {
        return Err(SurveyRefusal::from(QuestionnaireRefusal::CodeOrTitleEmpty).into());
    }
    if !matches!(new.format.as_str(), "toml" | "json") {
        return Err(SurveyRefusal::from(QuestionnaireRefusal::UnknownFormat {
            format: new.format.clone(),
        })
        .into());
    }
    // A shape of strings and small numbers always writes as JSON.
    let shape = serde_json::to_string(&new.shape).map_err(|e| StoreError::Corrupt {
        what: "questionnaire shape",
        detail: e.to_string(),
    })?;
    let now = Utc::now();
    in_transaction!(db, tx => {
        let latest: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, version, definition FROM questionnaires WHERE code = $1 ORDER BY version DESC LIMIT 1")
            .bind(new.code.trim())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((id, _, definition)) = &latest && same_content(new, definition) {
            return Ok(*id);
        }
        let version = latest.map(|(_, v, _)| v + 1).unwrap_or(1);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO questionnaires (code, version, title, format, definition, shape, item_count, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(new.code.trim())
            .bind(version)
            .bind(new.title.trim())
            .bind(&new.format)
            .bind(&new.definition)
            .bind(&shape)
            .bind(new.shape.item_codes.len() as i64)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.record(actor, &AuditEntry::new("create", "questionnaire", id)
            .change("version", None, Some(format!("{} v{version}", new.code.trim())))).await?;
        Ok(id)
    })
}

/// Whether a stored definition says the same as a new one: the same text, or for TOML the same
/// parsed questionnaire (a changed comment or layout is not a new version).
fn same_content(new: &NewQuestionnaire, stored: &str) -> bool {
    if stored == new.definition {
        return true;
    }
    if new.format != "toml" {
        return false;
    }
    let file = format!("{}.toml", new.code.trim());
    match (
        Questionnaire::from_toml(&file, stored),
        Questionnaire::from_toml(&file, &new.definition),
    ) {
        (Ok(old), Ok(new)) => old == new,
        _ => false,
    }
}

/// Stores a questionnaire of the survey crate from its TOML text (a new version when its content
/// differs from the latest stored one; comments and layout do not count).
pub async fn register_toml(
    db: &Db,
    actor: &Actor,
    file: &str,
    text: &str,
) -> Result<i64, StoreError> {
    let questionnaire = Questionnaire::from_toml(file, text).map_err(|e| {
        SurveyRefusal::from(QuestionnaireRefusal::Definition {
            file: e.file,
            problems: e.problems,
        })
    })?;
    register_questionnaire(
        db,
        actor,
        &NewQuestionnaire {
            code: questionnaire.id.clone(),
            title: questionnaire.title.clone(),
            format: "toml".into(),
            definition: text.to_string(),
            shape: QuestionnaireShape::of(&questionnaire),
        },
    )
    .await
}

/// Stores a bundled questionnaire (`sipas-2017`, `leader-2020`, `kiosk-2025`).
pub async fn register_bundled(db: &Db, actor: &Actor, id: &str) -> Result<i64, StoreError> {
    let bundled = chiso_survey::questionnaire::BUNDLED
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| {
            SurveyRefusal::from(QuestionnaireRefusal::UnknownBundled { id: id.to_string() })
        })?;
    register_toml(db, actor, bundled.file, bundled.text).await
}

pub async fn get_questionnaire(db: &Db, id: i64) -> Result<QuestionnaireRow, StoreError> {
    let sql = format!("SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires WHERE id = $1");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).bind(id).fetch_one(pool).await?),
    )
}

/// Every questionnaire version, newest version of each code first.
pub async fn list_questionnaires(db: &Db) -> Result<Vec<QuestionnaireRow>, StoreError> {
    let sql =
        format!("SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires ORDER BY code, version DESC");
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).fetch_all(pool).await?),
    )
}

/// The latest version of a code.
pub async fn latest_questionnaire(
    db: &Db,
    code: &str,
) -> Result<Option<QuestionnaireRow>, StoreError> {
    let sql = format!(
        "SELECT {QUESTIONNAIRE_COLUMNS} FROM questionnaires WHERE code = $1 ORDER BY version DESC LIMIT 1"
    );
    Ok(
        with_db_read!(db, pool => sqlx::query_as::<_, QuestionnaireRow>(&sql).bind(code).fetch_optional(pool).await?),
    )
}
