//! Questionnaires as data: items grouped into factors, the answer scale with a label
//! per answer, which answers count as satisfied (or what share of an item's points each answer
//! gives), how items aggregate, demographic questions, the expectations question and an
//! optional comment. Declared in TOML (`data/questionnaires/*.toml`) and versioned like
//! frameworks: `id`, `version`, `year`, `methodology`, `previous`.

use std::collections::HashSet;

use serde::Deserialize;

/// The columns of responses.csv that are not questions (docs/formats.md §5 and §8.8, `service`
/// being the service a response is about).
pub const RESERVED_COLUMNS: [&str; 5] =
    ["unit_code", "respondent_id", "channel", "weight", "service"];

/// A checked questionnaire. Items, factors and options are referred to by position (their
/// order in the file), which is also the order of every output.
#[derive(Clone, Debug, PartialEq)]
pub struct Questionnaire {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    /// Increases with every change of a questionnaire that keeps its id.
    pub version: u32,
    pub year: Option<i32>,
    /// The decision or document the method comes from (e.g. "QĐ 2640/QĐ-BNV").
    pub methodology: Option<String>,
    /// The id of the version this one replaces, for comparisons across versions.
    pub previous: Option<String>,
    pub scale: Scale,
    pub factors: Vec<Factor>,
    pub items: Vec<Item>,
    /// The overall-satisfaction item, whose rate is `overall_satisfied_rate`.
    pub overall: Option<usize>,
    pub par: Option<ParRule>,
    /// The questions with options about the respondent (demographics), then the perception
    /// questions about the visit (number of trips, extra papers or money asked, results on
    /// time, an apology), flagged [`ChoiceQuestion::perception`]: both are counted per option
    /// and reported as shares outside the index (docs/method.md §3.2).
    pub demographics: Vec<ChoiceQuestion>,
    pub expectations: Option<Expectations>,
    pub comment: Option<TextQuestion>,
    /// The sentence the form shows above the items ("Ông/Bà hãy cho biết mức độ hài lòng…").
    pub lead_in: Option<String>,
    /// How the form words each item, `{item}` standing for its title in lower case
    /// ("Mức độ hài lòng về {item}"); the title as written without it.
    pub item_prompt: Option<String>,
}

/// The answers an item takes, as written in responses.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    pub answers: Vec<Answer>,
}

/// One answer of the scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// As written in a response cell ("4", "A"); matched ignoring case and surrounding spaces.
    pub code: String,
    /// The Vietnamese label shown on forms and reports.
    pub label: String,
    /// The share of the item (0–1) this answer counts for: 1 for a satisfied answer and 0 for
    /// another on a satisfaction scale, 1 / 0.6 / 0.2 / 0 for A–D on the leader survey. `None`
    /// for an answer excluded from the item's rate (E = no opinion), like a blank.
    pub share: Option<f64>,
    /// Whether the questionnaire declares this answer "satisfied".
    pub satisfied: bool,
}

impl Scale {
    /// How the valid answers are described in a rejection reason: "1-5" for a run of
    /// integers, "A, B, C, D, E" otherwise.
    pub fn describe(&self) -> String {
        let numbers: Option<Vec<i64>> = self
            .answers
            .iter()
            .map(|a| a.code.parse::<i64>().ok())
            .collect();
        if let Some(numbers) = numbers
            && numbers.len() > 1
            && numbers.windows(2).all(|w| w[1] == w[0] + 1)
        {
            return format!("{}-{}", numbers[0], numbers[numbers.len() - 1]);
        }
        self.answers
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The position of an answer given its code (case-insensitive, trimmed).
    pub fn find(&self, code: &str) -> Option<usize> {
        let code = code.trim();
        self.answers
            .iter()
            .position(|a| a.code.eq_ignore_ascii_case(code))
    }
}

/// A group of items whose index is the mean of their rates.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    /// Weight of the factor in the questionnaire index (1 unless declared): the index is the
    /// weighted mean of the factor indices.
    pub weight: f64,
    /// Positions of its items in `Questionnaire::items`.
    pub items: Vec<usize>,
}

/// One question answered on the scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The column of responses.csv.
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    /// Position of its factor; `None` for an item in no factor (such as `overall`).
    pub factor: Option<usize>,
    /// The points the item is worth (leader survey): points = max_points × rate / 100.
    pub max_points: Option<f64>,
    /// The framework leaf the item's points feed.
    pub leaf: Option<String>,
    /// The item's own wording of the scale's answers, one per answer in the scale's order,
    /// when the scale's labels do not fit its question (the leader survey asks about
    /// harassment with "Không có … Thường xuyên", not "Rất tốt … Kém"). Codes and shares are
    /// the scale's (docs/formats.md §5).
    pub labels: Option<Vec<String>>,
}

impl Item {
    /// The label of the scale's answer at `position`, in this item's wording.
    pub fn answer_label<'a>(&'a self, scale: &'a Scale, position: usize) -> &'a str {
        self.labels
            .as_ref()
            .and_then(|labels| labels.get(position))
            .map_or(scale.answers[position].label.as_str(), String::as_str)
    }
}

/// How the survey's result feeds the PAR INDEX (docs/method.md §3.8).
#[derive(Clone, Debug, PartialEq)]
pub struct ParRule {
    /// The name of the framework's survey source these points fill (`rule = { type =
    /// "survey", source = "sipas" }` in a framework).
    pub source: String,
    pub method: ParMethod,
    /// The points the survey is worth (10 for SIPAS, 23.5 for the leader survey).
    pub points: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParMethod {
    /// par_points = index × points / 100, feeding `leaf` (SIPAS: index × 10 / 100).
    Index { leaf: Option<String> },
    /// Each item's points (max_points × rate / 100) feed its own leaf; par_points is their sum.
    ItemPoints,
}

/// A single-choice question (sex, age group, occupation, education, …).
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceQuestion {
    /// The column of responses.csv.
    pub code: String,
    pub title: String,
    pub options: Vec<Choice>,
    /// A perception question about the visit (in the file's `[[perceptions]]`), not about the
    /// respondent.
    pub perception: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl ChoiceQuestion {
    /// The position of an option given its code (case-insensitive, trimmed).
    pub fn find(&self, code: &str) -> Option<usize> {
        let code = code.trim();
        self.options
            .iter()
            .position(|o| o.code.eq_ignore_ascii_case(code))
    }

    pub fn describe(&self) -> String {
        self.options
            .iter()
            .map(|o| o.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "Pick up to N areas to improve": one column holding option codes separated by `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectations {
    pub question: ChoiceQuestion,
    pub max_choices: usize,
}

/// A free-text question (a comment): read, never part of the index.
#[derive(Clone, Debug, PartialEq)]
pub struct TextQuestion {
    pub code: String,
    pub title: String,
}

/// What is wrong with a questionnaire file, each problem in words.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("questionnaire {file}: {}", problems.join("; "))]
pub struct QuestionnaireError {
    pub file: String,
    pub problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuestionnaire {
    id: String,
    title: String,
    title_en: Option<String>,
    version: u32,
    year: Option<i32>,
    methodology: Option<String>,
    previous: Option<String>,
    overall: Option<String>,
    scale: FileScale,
    par: Option<FilePar>,
    #[serde(default)]
    factors: Vec<FileFactor>,
    #[serde(default)]
    items: Vec<FileItem>,
    #[serde(default)]
    demographics: Vec<FileChoiceQuestion>,
    #[serde(default)]
    perceptions: Vec<FileChoiceQuestion>,
    expectations: Option<FileExpectations>,
    comment: Option<FileText>,
    lead_in: Option<String>,
    item_prompt: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScale {
    answers: Vec<FileAnswer>,
    #[serde(default)]
    satisfied: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAnswer {
    code: String,
    label: String,
    share: Option<f64>,
    #[serde(default)]
    excluded: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePar {
    source: String,
    method: String,
    points: f64,
    leaf: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFactor {
    code: String,
    title: String,
    title_en: Option<String>,
    weight: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileItem {
    code: String,
    title: String,
    title_en: Option<String>,
    factor: Option<String>,
    max_points: Option<f64>,
    leaf: Option<String>,
    labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileChoiceQuestion {
    code: String,
    title: String,
    options: Vec<FileChoice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileChoice {
    code: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileExpectations {
    code: String,
    title: String,
    max_choices: usize,
    options: Vec<FileChoice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    code: String,
    title: String,
}

/// The problems found so far while checking a questionnaire file, and the response columns
/// its questions have claimed (each code is a column of responses.csv, once).
struct Checker {
    problems: Vec<String>,
    columns: HashSet<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            problems: Vec::new(),
            columns: RESERVED_COLUMNS.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn push(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// Claims `code` as a column of responses.csv for a question of kind `what`.
    fn claim(&mut self, code: &str, what: &str) {
        if code.trim().is_empty() || code.trim() != code || code.contains(',') {
            self.push(format!("{what} code '{code}' is not a column name"));
        } else if !self.columns.insert(code.to_ascii_lowercase()) {
            self.push(format!(
                "{what} code '{code}' is used twice or is a reserved column"
            ));
        }
    }

    /// The answer scale.
    fn scale(&mut self, scale: &FileScale) -> Vec<Answer> {
        let mut answers = Vec::new();
        let mut codes = HashSet::new();
        for a in &scale.answers {
            if a.code.trim().is_empty() || a.code.contains(';') {
                self.push(format!("answer code '{}' is not usable", a.code));
            }
            if !codes.insert(a.code.to_ascii_lowercase()) {
                self.push(format!("answer '{}' appears twice", a.code));
            }
            let satisfied = scale.satisfied.iter().any(|s| s == &a.code);
            let share = if a.excluded {
                if a.share.is_some() {
                    self.push(format!("answer '{}' is excluded and has a share", a.code));
                }
                None
            } else {
                let share = a.share.unwrap_or(if satisfied { 1.0 } else { 0.0 });
                if !(0.0..=1.0).contains(&share) {
                    self.push(format!("answer '{}': share {share} is not 0-1", a.code));
                }
                Some(share)
            };
            answers.push(Answer {
                code: a.code.clone(),
                label: a.label.clone(),
                share,
                satisfied,
            });
        }
        for s in &scale.satisfied {
            if !scale.answers.iter().any(|a| &a.code == s) {
                self.push(format!("satisfied answer '{s}' is not on the scale"));
            }
        }
        if answers.iter().all(|a| a.share.is_none()) {
            self.push("the scale has no answer that counts".to_string());
        }
        if answers.len() > 250 {
            self.push("the scale has more than 250 answers".to_string());
        }
        answers
    }

    /// The factors, without their items yet.
    fn factors(&mut self, source: &[FileFactor]) -> Vec<Factor> {
        let mut factors: Vec<Factor> = Vec::new();
        for f in source {
            if factors.iter().any(|g| g.code == f.code) {
                self.push(format!("factor '{}' appears twice", f.code));
            }
            let weight = f.weight.unwrap_or(1.0);
            if !(weight.is_finite() && weight > 0.0) {
                self.push(format!("factor '{}': weight {weight} is not > 0", f.code));
            }
            factors.push(Factor {
                code: f.code.clone(),
                title: f.title.clone(),
                title_en: f.title_en.clone(),
                weight,
                items: Vec::new(),
            });
        }
        factors
    }

    /// The items, each added to its factor's list; `scale_len` is the number of answers their
    /// labels must match.
    fn items(
        &mut self,
        source: &[FileItem],
        scale_len: usize,
        factors: &mut [Factor],
    ) -> Vec<Item> {
        let mut items = Vec::new();
        for (position, i) in source.iter().enumerate() {
            self.claim(&i.code, "item");
            let factor = match &i.factor {
                Some(code) => match factors.iter().position(|f| &f.code == code) {
                    Some(f) => {
                        factors[f].items.push(position);
                        Some(f)
                    }
                    None => {
                        self.push(format!("item '{}': no factor '{code}'", i.code));
                        None
                    }
                },
                None => None,
            };
            if let Some(max) = i.max_points
                && !(max.is_finite() && max > 0.0)
            {
                self.push(format!("item '{}': max_points {max} is not > 0", i.code));
            }
            if let Some(labels) = &i.labels
                && labels.len() != scale_len
            {
                self.push(format!(
                    "item '{}': {} labels for a scale of {} answers",
                    i.code,
                    labels.len(),
                    scale_len
                ));
            }
            items.push(Item {
                code: i.code.clone(),
                title: i.title.clone(),
                title_en: i.title_en.clone(),
                factor,
                max_points: i.max_points,
                leaf: i.leaf.clone(),
                labels: i.labels.clone(),
            });
        }
        items
    }

    /// That there are items and factors and that every factor has an item.
    fn structure(&mut self, factors: &[Factor], items: &[Item]) {
        if items.is_empty() {
            self.push("there is no item".to_string());
        }
        for f in factors {
            if f.items.is_empty() {
                self.push(format!("factor '{}' has no item", f.code));
            }
        }
        if factors.is_empty() {
            self.push("there is no factor".to_string());
        }
    }

    /// The position of the overall-satisfaction item.
    fn overall(&mut self, overall: Option<&String>, items: &[Item]) -> Option<usize> {
        let code = overall?;
        let found = items.iter().position(|i| &i.code == code);
        if found.is_none() {
            self.push(format!("overall: no item '{code}'"));
        }
        found
    }

    /// The PAR rule.
    fn par(&mut self, par: FilePar, items: &[Item]) -> ParRule {
        if !(par.points.is_finite() && par.points > 0.0) {
            self.push(format!("par: points {} is not > 0", par.points));
        }
        let method = match par.method.as_str() {
            "index" => ParMethod::Index { leaf: par.leaf },
            "item_points" => {
                if par.leaf.is_some() {
                    self.push("par: with method item_points each item names its leaf".to_string());
                }
                self.item_points(par.points, items);
                ParMethod::ItemPoints
            }
            other => {
                self.push(format!(
                    "par: method '{other}' is not 'index' or 'item_points'"
                ));
                ParMethod::Index { leaf: None }
            }
        };
        ParRule {
            source: par.source,
            method,
            points: par.points,
        }
    }

    /// With `par.method = item_points`: every item of a factor has max_points and a leaf, and
    /// the max_points sum to the rule's points.
    fn item_points(&mut self, points: f64, items: &[Item]) {
        let mut total = 0.0;
        for i in items {
            match (i.max_points, &i.leaf) {
                (Some(max), Some(_)) => total += max,
                _ if i.factor.is_some() => self.push(format!(
                    "item '{}': max_points and leaf are required by par.method = item_points",
                    i.code
                )),
                _ => {}
            }
        }
        if (total - points).abs() > 1e-9 {
            self.push(format!(
                "par: the items' max_points sum to {total}, not {points}"
            ));
        }
    }

    /// A question with options (a demographic one or the expectations).
    fn choice(&mut self, q: &FileChoiceQuestion) -> ChoiceQuestion {
        self.claim(&q.code, "question");
        let mut seen = HashSet::new();
        for o in &q.options {
            if o.code.trim().is_empty() || o.code.contains(';') {
                self.push(format!(
                    "{}: option code '{}' is not usable",
                    q.code, o.code
                ));
            }
            if !seen.insert(o.code.to_ascii_lowercase()) {
                self.push(format!("{}: option '{}' appears twice", q.code, o.code));
            }
        }
        if q.options.is_empty() {
            self.push(format!("{}: there is no option", q.code));
        }
        ChoiceQuestion {
            code: q.code.clone(),
            title: q.title.clone(),
            perception: false,
            options: q
                .options
                .iter()
                .map(|o| Choice {
                    code: o.code.clone(),
                    label: o.label.clone(),
                })
                .collect(),
        }
    }

    /// The expectations question.
    fn expectations(&mut self, e: FileExpectations) -> Expectations {
        if e.max_choices == 0 {
            self.push("expectations: max_choices is 0".to_string());
        }
        Expectations {
            question: self.choice(&FileChoiceQuestion {
                code: e.code,
                title: e.title,
                options: e.options,
            }),
            max_choices: e.max_choices,
        }
    }

    /// The free-text comment question.
    fn comment(&mut self, c: FileText) -> TextQuestion {
        self.claim(&c.code, "comment");
        TextQuestion {
            code: c.code,
            title: c.title,
        }
    }
}

impl Questionnaire {
    /// Parses and checks a questionnaire written in TOML. Every problem is reported at once.
    pub fn from_toml(file: &str, text: &str) -> Result<Questionnaire, QuestionnaireError> {
        let fail = |problems: Vec<String>| QuestionnaireError {
            file: file.to_string(),
            problems,
        };
        let source: FileQuestionnaire =
            toml::from_str(text).map_err(|e| fail(vec![e.to_string().trim().to_string()]))?;
        let mut check = Checker::new();
        if source.id.trim().is_empty() {
            check.push("id is empty".to_string());
        }
        let answers = check.scale(&source.scale);
        let mut factors = check.factors(&source.factors);
        let items = check.items(&source.items, source.scale.answers.len(), &mut factors);
        check.structure(&factors, &items);
        let overall = check.overall(source.overall.as_ref(), &items);
        let par = source.par.map(|p| check.par(p, &items));
        let mut demographics: Vec<ChoiceQuestion> = source
            .demographics
            .iter()
            .map(|q| check.choice(q))
            .collect();
        for question in &source.perceptions {
            let mut perception = check.choice(question);
            perception.perception = true;
            demographics.push(perception);
        }
        if let Some(prompt) = &source.item_prompt
            && !prompt.contains("{item}")
        {
            check.push(format!("item_prompt '{prompt}' does not contain {{item}}"));
        }
        let expectations = source.expectations.map(|e| check.expectations(e));
        let comment = source.comment.map(|c| check.comment(c));
        if !check.problems.is_empty() {
            return Err(fail(check.problems));
        }
        Ok(Questionnaire {
            id: source.id,
            title: source.title,
            title_en: source.title_en,
            version: source.version,
            year: source.year,
            methodology: source.methodology,
            previous: source.previous,
            scale: Scale { answers },
            factors,
            items,
            overall,
            par,
            demographics,
            expectations,
            comment,
            lead_in: source.lead_in,
            item_prompt: source.item_prompt,
        })
    }

    /// An item as the form asks it: the questionnaire's `item_prompt` around the item's title,
    /// the title's first letter in lower case unless it starts an abbreviation ("TTHC").
    pub fn item_question(&self, title: &str) -> String {
        let Some(prompt) = &self.item_prompt else {
            return title.to_string();
        };
        let mut chars = title.chars();
        let lowered = match (chars.next(), chars.next()) {
            (Some(first), Some(second)) if !second.is_uppercase() => {
                first.to_lowercase().chain(title.chars().skip(1)).collect()
            }
            _ => title.to_string(),
        };
        prompt.replace("{item}", &lowered)
    }

    /// The position of an item given its code.
    pub fn item(&self, code: &str) -> Option<usize> {
        self.items.iter().position(|i| i.code == code)
    }

    /// The position of a factor given its code.
    pub fn factor(&self, code: &str) -> Option<usize> {
        self.factors.iter().position(|f| f.code == code)
    }

    /// Checks the items' leaf mapping against a framework's survey leaves for this
    /// questionnaire's source: `leaves` lists (leaf code, max points, survey source) of every
    /// survey-scored leaf. Returns every mismatch in words; empty when each leaf of the source
    /// is fed by exactly one item (or by the index) with the same maximum.
    pub fn check_leaves(&self, leaves: &[(String, f64, Option<String>)]) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(par) = &self.par else {
            return vec![format!("{} declares no [par] mapping", self.id)];
        };
        let of_source: Vec<&(String, f64, Option<String>)> = leaves
            .iter()
            .filter(|(_, _, s)| s.as_deref() == Some(par.source.as_str()))
            .collect();
        let fed: Vec<(&str, f64)> = match &par.method {
            ParMethod::Index { leaf } => leaf.iter().map(|l| (l.as_str(), par.points)).collect(),
            ParMethod::ItemPoints => self
                .items
                .iter()
                .filter_map(|i| Some((i.leaf.as_deref()?, i.max_points?)))
                .collect(),
        };
        for (leaf, max) in &fed {
            match of_source.iter().find(|(code, _, _)| code == leaf) {
                None => problems.push(format!(
                    "leaf {leaf} is not a survey leaf of source '{}'",
                    par.source
                )),
                Some((_, leaf_max, _)) if (leaf_max - max).abs() > 1e-9 => problems.push(format!(
                    "leaf {leaf} is worth {leaf_max}, the questionnaire gives {max}"
                )),
                Some(_) => {}
            }
            if fed.iter().filter(|(l, _)| l == leaf).count() > 1 {
                problems.push(format!("leaf {leaf} is fed by more than one item"));
            }
        }
        for (code, _, _) in &of_source {
            if !fed.iter().any(|(l, _)| l == code) {
                problems.push(format!("survey leaf {code} is fed by no item"));
            }
        }
        problems.dedup();
        problems
    }
}

/// A questionnaire shipped with chiso.
pub struct Bundled {
    pub id: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

/// The bundled questionnaires (`data/questionnaires/`).
pub const BUNDLED: &[Bundled] = &[
    Bundled {
        id: "sipas-2017",
        file: "sipas-2017.toml",
        text: include_str!("../../../data/questionnaires/sipas-2017.toml"),
    },
    Bundled {
        id: "leader-2020",
        file: "leader-2020.toml",
        text: include_str!("../../../data/questionnaires/leader-2020.toml"),
    },
    Bundled {
        id: "kiosk-2025",
        file: "kiosk-2025.toml",
        text: include_str!("../../../data/questionnaires/kiosk-2025.toml"),
    },
];

/// A bundled questionnaire by id, parsed and checked.
pub fn bundled(id: &str) -> Option<Questionnaire> {
    let b = BUNDLED.iter().find(|b| b.id == id)?;
    Some(
        Questionnaire::from_toml(b.file, b.text)
            .unwrap_or_else(|e| panic!("bundled questionnaire {id} is invalid: {e}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_questionnaires_load() {
        for b in BUNDLED {
            let q = bundled(b.id).unwrap();
            assert_eq!(q.id, b.id);
        }
        let sipas = bundled("sipas-2017").unwrap();
        assert_eq!(sipas.factors.len(), 5);
        assert_eq!(sipas.items.len(), 23);
        let sizes: Vec<usize> = sipas.factors.iter().map(|f| f.items.len()).collect();
        assert_eq!(sizes, [4, 5, 6, 3, 4]);
        assert_eq!(sipas.items[sipas.overall.unwrap()].code, "overall");
        assert_eq!(sipas.scale.describe(), "1-5");
        let leaders = bundled("leader-2020").unwrap();
        assert_eq!(leaders.scale.describe(), "A, B, C, D, E");
        assert_eq!(leaders.scale.answers[4].share, None);
        let total: f64 = leaders.items.iter().filter_map(|i| i.max_points).sum();
        assert!((total - 23.5).abs() < 1e-9);
    }

    #[test]
    fn sipas_2017_asks_perceptions_apart_and_words_items_as_satisfaction() {
        let sipas = bundled("sipas-2017").unwrap();
        let perceptions: Vec<&str> = sipas
            .demographics
            .iter()
            .filter(|q| q.perception)
            .map(|q| q.code.as_str())
            .collect();
        assert_eq!(
            perceptions,
            [
                "trips",
                "extra_papers",
                "extra_money",
                "late_result",
                "apology"
            ]
        );
        // The respondent's own questions come first and are not perceptions.
        assert!(!sipas.demographics[0].perception);
        assert_eq!(sipas.demographics[0].code, "sex");
        assert!(
            sipas
                .lead_in
                .as_deref()
                .unwrap()
                .contains("mức độ hài lòng")
        );
        assert_eq!(
            sipas.item_question("Nơi ngồi chờ có đủ chỗ ngồi"),
            "Mức độ hài lòng về nơi ngồi chờ có đủ chỗ ngồi"
        );
        // An abbreviation keeps its capitals.
        assert_eq!(
            sipas.item_question("TTHC được niêm yết công khai đầy đủ"),
            "Mức độ hài lòng về TTHC được niêm yết công khai đầy đủ"
        );
        // Without a prompt an item reads as its title.
        let leaders = bundled("leader-2020").unwrap();
        assert_eq!(leaders.item_question("Câu hỏi"), "Câu hỏi");
        // A prompt must place the item, and a perception's code is a column like any other.
        let text = include_str!("../../../data/questionnaires/sipas-2017.toml");
        let broken = text.replace("Mức độ hài lòng về {item}", "Mức độ hài lòng");
        let error = Questionnaire::from_toml("x.toml", &broken)
            .unwrap_err()
            .to_string();
        assert!(error.contains("item_prompt"), "{error}");
        let twice = text.replace("code = \"trips\"", "code = \"sex\"");
        assert!(Questionnaire::from_toml("x.toml", &twice).is_err());
    }

    #[test]
    fn an_item_may_word_the_scale_its_own_way() {
        let leaders = bundled("leader-2020").unwrap();
        let item = |code: &str| leaders.items.iter().find(|i| i.code == code).unwrap();
        let labels = |code: &str| -> Vec<&str> {
            (0..leaders.scale.answers.len())
                .map(|a| item(code).answer_label(&leaders.scale, a))
                .collect()
        };
        assert_eq!(
            labels("ld16"),
            [
                "Không có",
                "Hiếm khi",
                "Thỉnh thoảng",
                "Thường xuyên",
                "Không có ý kiến"
            ]
        );
        assert_eq!(
            labels("ld15"),
            ["Rất tốt", "Tốt", "Trung bình", "Kém", "Không có ý kiến"]
        );
        // The 2020 survey asked provincial and district leaders, not communes.
        let level = leaders
            .demographics
            .iter()
            .find(|d| d.code == "level")
            .unwrap();
        let levels: Vec<&str> = level.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(levels, ["Cấp tỉnh", "Cấp huyện"]);

        let wrong = r#"
id = "x"
title = "x"
version = 1
[scale]
answers = [{ code = "1", label = "a", share = 1.0 }, { code = "2", label = "b", share = 0.0 }]
[[factors]]
code = "F1"
title = "f"
[[items]]
code = "q1"
factor = "F1"
title = "t"
labels = ["only one"]
"#;
        let error = Questionnaire::from_toml("x.toml", wrong).unwrap_err();
        assert!(
            error
                .problems
                .join("\n")
                .contains("item 'q1': 1 labels for a scale of 2 answers"),
            "{error:?}"
        );
    }

    #[test]
    fn problems_are_named() {
        let text = r#"
id = "x"
title = "x"
version = 1
overall = "nope"
[scale]
satisfied = ["9"]
answers = [{ code = "1", label = "a" }, { code = "1", label = "b", share = 2.0 }]
[[factors]]
code = "F1"
title = "f"
[[factors]]
code = "F2"
title = "g"
[[items]]
code = "weight"
factor = "F9"
title = "t"
"#;
        let error = Questionnaire::from_toml("x.toml", text).unwrap_err();
        let all = error.problems.join("\n");
        for needle in [
            "answer '1' appears twice",
            "share 2 is not 0-1",
            "satisfied answer '9'",
            "reserved column",
            "no factor 'F9'",
            "factor 'F1' has no item",
            "overall: no item 'nope'",
        ] {
            assert!(all.contains(needle), "{needle} not in {all}");
        }
    }
}
