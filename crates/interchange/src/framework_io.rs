//! Criteria frameworks in files: `framework.csv` / `.xlsx` (docs/formats.md §1, with optional
//! extra columns) and the readable TOML the repository keeps them in.

use std::collections::HashSet;
use std::path::Path;

use chiso_domain::framework::{FrameworkProblem, SAMPLE_LABEL};
use chiso_domain::rule::RuleProblem;
use chiso_domain::{
    Framework, FrameworkMeta, Method, NodeSpec, Points, Rule, ThresholdStep, UnitKind,
};
use rust_xlsxwriter::{Format, Workbook};
use serde::{Deserialize, Serialize};

use crate::error::{FieldProblem, InputError, InputErrors, Problem};
use crate::table::{FileKind, Table, TableRow, display_name, read_table};

/// The columns of `framework.csv`: the contract's four, then the optional extensions.
pub const FRAMEWORK_COLUMNS: [&str; 11] = [
    "code",
    "title",
    "max_points",
    "method",
    "title_en",
    "guidance",
    "evidence_required",
    "rule",
    "input_label",
    "continues",
    "impact",
];

/// Reads a framework from `.csv`, `.xlsx` or `.toml`. For a table the metadata is not in the
/// file: `meta` supplies it (the id defaults to the file name).
pub fn read_framework(path: &Path, meta: Option<FrameworkMeta>) -> Result<Framework, InputErrors> {
    let name = display_name(path);
    match FileKind::of(path) {
        Some(FileKind::Toml) => {
            let text = std::fs::read_to_string(path).map_err(|e| InputError::io(&name, e))?;
            framework_from_toml(&name, &text)
        }
        _ => {
            let table = read_table(path)?;
            let meta = meta.unwrap_or_else(|| {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                FrameworkMeta {
                    id: stem.clone(),
                    title: stem,
                    ..FrameworkMeta::default()
                }
            });
            framework_from_table(&table, meta)
        }
    }
}

/// Builds a framework from a table. Every problem in every row is reported; nothing is built
/// while any row is wrong (docs/formats.md §1).
pub fn framework_from_table(table: &Table, meta: FrameworkMeta) -> Result<Framework, InputErrors> {
    let mut errors = InputErrors::default();
    let (code, title) = match (table.require("code"), table.require("title")) {
        (Ok(code), Ok(title)) => (code, title),
        (code, title) => {
            errors.0.extend(code.err());
            errors.0.extend(title.err());
            return Err(errors);
        }
    };
    let columns = FrameworkColumns::of(table, code, title);
    let mut specs = Vec::with_capacity(table.rows.len());
    // Rows whose max_points did not parse: the tree check must not call them "without".
    let mut unreadable_max = HashSet::new();
    for row in &table.rows {
        let row_code = row.get(Some(code)).to_string();
        if row.len() > table.headers.len() {
            // Worded as before: "(code 1) row: wrong column count: …".
            let problem = Problem::ColumnCount {
                found: row.len(),
                expected: table.headers.len(),
            };
            let mut error = InputError::problem(&table.name, Some(row.number), problem);
            error.message = format!("(code {row_code}) row: {}", error.message);
            errors.push(error);
            continue;
        }
        let mut field_error = |field: FieldProblem| {
            if matches!(field, FieldProblem::MaxPoints { .. }) {
                unreadable_max.insert(row.number);
            }
            let problem = Problem::FrameworkField {
                code: row_code.clone(),
                field,
            };
            errors.push(InputError::problem(&table.name, Some(row.number), problem))
        };
        specs.push(columns.spec(row, &mut field_error));
    }
    if table.rows.is_empty() {
        errors.push(InputError::problem(&table.name, None, Problem::NoRows));
    }
    build(&table.name, meta, specs, errors, &unreadable_max)
}

/// Where each column of `framework.csv` is in a table (`None` for an absent optional one).
struct FrameworkColumns {
    code: usize,
    title: usize,
    max_points: Option<usize>,
    method: Option<usize>,
    title_en: Option<usize>,
    guidance: Option<usize>,
    evidence: Option<usize>,
    rule: Option<usize>,
    input_label: Option<usize>,
    continues: Option<usize>,
    impact: Option<usize>,
}

impl FrameworkColumns {
    fn of(table: &Table, code: usize, title: usize) -> FrameworkColumns {
        let column = |name: &str| table.column(name);
        FrameworkColumns {
            code,
            title,
            max_points: column("max_points"),
            method: column("method"),
            title_en: column("title_en"),
            guidance: column("guidance"),
            evidence: column("evidence_required"),
            rule: column("rule"),
            input_label: column("input_label"),
            continues: column("continues"),
            impact: column("impact"),
        }
    }

    /// A row as a node, each field that does not parse reported to `field_error` and left
    /// out (or false).
    fn spec(&self, row: &TableRow, field_error: &mut impl FnMut(FieldProblem)) -> NodeSpec {
        let parsed_max = match row.get(self.max_points) {
            "" => None,
            text => match text.parse::<Points>() {
                Ok(points) => Some(points),
                Err(e) => {
                    field_error(FieldProblem::MaxPoints {
                        text: text.to_string(),
                        detail: e,
                    });
                    None
                }
            },
        };
        let parsed_method = match row.get(self.method) {
            "" => None,
            text => match Method::parse(text) {
                Some(m) => Some(m),
                None => {
                    field_error(FieldProblem::Method {
                        text: text.to_string(),
                    });
                    None
                }
            },
        };
        let evidence_required = match parse_flag(row.get(self.evidence)) {
            Some(flag) => flag,
            None => {
                field_error(FieldProblem::Evidence {
                    text: row.get(self.evidence).to_string(),
                });
                false
            }
        };
        let impact = parse_flag(row.get(self.impact)).unwrap_or_else(|| {
            field_error(FieldProblem::Impact {
                text: row.get(self.impact).to_string(),
            });
            false
        });
        let label = non_empty(row.get(self.input_label));
        let parsed_rule = match row.get(self.rule) {
            "" => None,
            text => match parse_rule(text, label.clone()) {
                Ok(r) => Some(r),
                Err(detail) => {
                    field_error(FieldProblem::Rule {
                        text: text.to_string(),
                        detail,
                    });
                    None
                }
            },
        };
        NodeSpec {
            row: row.number,
            code: row.get(Some(self.code)).to_string(),
            title: row.get(Some(self.title)).to_string(),
            title_en: non_empty(row.get(self.title_en)),
            max_points: parsed_max,
            method: parsed_method,
            guidance: non_empty(row.get(self.guidance)),
            evidence_required,
            rule: parsed_rule,
            continues: split_codes(row.get(self.continues)),
            impact,
        }
    }
}

/// Nodes in one framework. The official provincial table has about 150 (43 criteria and 102
/// sub-criteria); every score sheet and result holds a value per node.
pub const MAX_FRAMEWORK_NODES: usize = 5_000;

/// Checks the tree and merges its errors with the field errors found while parsing, sorted by
/// row. Tree errors that only repeat a field error are left out.
fn build(
    name: &str,
    meta: FrameworkMeta,
    specs: Vec<NodeSpec>,
    mut errors: InputErrors,
    unreadable_max: &HashSet<usize>,
) -> Result<Framework, InputErrors> {
    if specs.len() > MAX_FRAMEWORK_NODES {
        let problem = Problem::TooManyNodes {
            count: specs.len(),
            limit: MAX_FRAMEWORK_NODES,
        };
        return Err(InputError::problem(name, None, problem).into());
    }
    let had_field_errors = !errors.is_empty();
    match Framework::build(meta, specs) {
        Ok(framework) if errors.is_empty() => Ok(framework),
        Ok(_) => Err(errors),
        Err(tree_errors) => {
            for error in tree_errors {
                let repeats_a_field_error = match error.problem {
                    FrameworkProblem::LeafWithoutMaxPoints => unreadable_max.contains(&error.row),
                    FrameworkProblem::NoTree => had_field_errors,
                    _ => false,
                };
                if repeats_a_field_error {
                    continue;
                }
                let problem = Problem::Framework {
                    code: error.code,
                    problem: error.problem,
                };
                errors.push(InputError::problem(name, Some(error.row), problem));
            }
            errors.0.sort_by_key(|e| e.row.unwrap_or(0));
            Err(errors)
        }
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn split_codes(text: &str) -> Vec<String> {
    text.split([';', ' ', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Yes/no in the spellings a Vietnamese spreadsheet uses; blank is no.
fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "không" | "khong" => Some(false),
        "1" | "true" | "yes" | "y" | "x" | "có" | "co" => Some(true),
        _ => None,
    }
}

/// Parses the `rule` column:
/// `levels: 0; 0.5; 1`, `threshold(on_time_share): 100 => 1; 80 => 0.5; else => 0`,
/// `proportional(online_share)`, `survey(sipas)`.
pub fn parse_rule(text: &str, input_label: Option<String>) -> Result<Rule, RuleProblem> {
    let text = text.trim();
    let (head, body) = match text.split_once(':') {
        Some((head, body)) => (head.trim(), body.trim()),
        None => (text, ""),
    };
    let (kind, argument) = match head.split_once('(') {
        Some((kind, rest)) => {
            let argument = rest
                .strip_suffix(')')
                .ok_or_else(|| RuleProblem::Unclosed {
                    head: head.to_string(),
                })?;
            (
                kind.trim().to_lowercase(),
                Some(argument.trim().to_string()),
            )
        }
        None => (head.to_lowercase(), None),
    };
    let number = |t: &str| t.trim().parse::<Points>().map_err(RuleProblem::from);
    let named = |missing: fn(String) -> RuleProblem| {
        argument
            .clone()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing(kind.clone()))
    };
    let input = |kind| RuleProblem::NeedsInput { kind };
    match kind.as_str() {
        "levels" => {
            let levels = body
                .split(';')
                .filter(|t| !t.trim().is_empty())
                .map(number)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Rule::Levels { levels })
        }
        "threshold" => {
            let input = named(input)?;
            let mut steps = Vec::new();
            let mut otherwise = Points::ZERO;
            for part in body.split(';').filter(|t| !t.trim().is_empty()) {
                let (min, points) = part.split_once("=>").ok_or_else(|| RuleProblem::BadStep {
                    step: part.trim().to_string(),
                })?;
                if min.trim().eq_ignore_ascii_case("else") {
                    otherwise = number(points)?;
                } else {
                    let min: f64 =
                        min.trim()
                            .parse()
                            .map_err(|_| RuleProblem::StepMinimumNotANumber {
                                text: min.trim().to_string(),
                            })?;
                    steps.push(ThresholdStep {
                        min,
                        points: number(points)?,
                    });
                }
            }
            Ok(Rule::Threshold {
                input,
                input_label,
                steps,
                otherwise,
            })
        }
        "proportional" => Ok(Rule::Proportional {
            input: named(input)?,
            input_label,
        }),
        "survey" => Ok(Rule::Survey {
            source: named(|kind| RuleProblem::NeedsSource { kind })?,
        }),
        other => Err(RuleProblem::UnknownKind {
            kind: other.to_string(),
        }),
    }
}

/// Writes a rule in the syntax [`parse_rule`] reads.
pub fn format_rule(rule: &Rule) -> String {
    match rule {
        Rule::Levels { levels } => format!(
            "levels: {}",
            levels
                .iter()
                .map(Points::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Rule::Threshold {
            input,
            steps,
            otherwise,
            ..
        } => {
            let mut parts: Vec<String> = steps
                .iter()
                .map(|s| format!("{} => {}", s.min, s.points))
                .collect();
            parts.push(format!("else => {otherwise}"));
            format!("threshold({input}): {}", parts.join("; "))
        }
        Rule::Proportional { input, .. } => format!("proportional({input})"),
        Rule::Survey { source } => format!("survey({source})"),
    }
}

fn input_label(rule: &Rule) -> Option<&str> {
    match rule {
        Rule::Threshold { input_label, .. } | Rule::Proportional { input_label, .. } => {
            input_label.as_deref()
        }
        _ => None,
    }
}

/// The rows of `framework.csv` for a framework, header first. A sample framework carries its
/// label in an extra `note` column on every row (docs/method.md §2.3: "marked in every export").
pub fn framework_rows(framework: &Framework) -> Vec<Vec<String>> {
    let mut header: Vec<String> = FRAMEWORK_COLUMNS.iter().map(|c| c.to_string()).collect();
    if framework.meta.sample {
        header.push("note".to_string());
    }
    let mut rows = vec![header];
    for spec in framework.to_specs() {
        let mut row = vec![
            spec.code.clone(),
            spec.title.clone(),
            spec.max_points.map(|p| p.to_string()).unwrap_or_default(),
            spec.method
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            spec.title_en.clone().unwrap_or_default(),
            spec.guidance.clone().unwrap_or_default(),
            if spec.evidence_required { "true" } else { "" }.to_string(),
            spec.rule.as_ref().map(format_rule).unwrap_or_default(),
            spec.rule
                .as_ref()
                .and_then(input_label)
                .unwrap_or_default()
                .to_string(),
            spec.continues.join(";"),
            if spec.impact { "true" } else { "" }.to_string(),
        ];
        if framework.meta.sample {
            row.push(SAMPLE_LABEL.to_string());
        }
        rows.push(row);
    }
    rows
}

/// `framework.csv` text (RFC 4180, LF line ends, no BOM).
pub fn framework_to_csv(framework: &Framework) -> String {
    crate::csv_out::to_string(framework_rows(framework))
}

/// `framework.xlsx`: the same columns on the first sheet, codes as text cells, then a sheet
/// with the framework's metadata.
pub fn framework_to_xlsx(framework: &Framework) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("framework")?;
    for (r, row) in framework_rows(framework).iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                sheet.write_string_with_format(r, c, cell, &bold)?;
            } else if c == 2 && !cell.is_empty() {
                sheet.write_number(r, c, cell.parse::<f64>().unwrap_or(0.0))?;
            } else {
                sheet.write_string(r, c, cell)?;
            }
        }
    }
    sheet.set_column_width(0, 10)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_freeze_panes(1, 0)?;
    let meta = workbook.add_worksheet();
    meta.set_name("thong_tin")?;
    let m = &framework.meta;
    let entries = [
        ("id", m.id.clone()),
        ("title", framework.display_title()),
        ("year", m.year.map(|y| y.to_string()).unwrap_or_default()),
        ("methodology", m.methodology.clone().unwrap_or_default()),
        ("unit_kind", m.unit_kind.as_str().to_string()),
        ("sample", m.sample.to_string()),
        ("max_points", framework.max_points().to_string()),
        ("leaves", framework.leaves().len().to_string()),
    ];
    for (r, (key, value)) in entries.iter().enumerate() {
        meta.write_string_with_format(r as u32, 0, *key, &bold)?;
        meta.write_string(r as u32, 1, value)?;
    }
    meta.set_column_width(1, 80)?;
    workbook.save_to_buffer()
}

/// The repository's TOML form of a framework.
#[derive(Serialize, Deserialize)]
struct FrameworkToml {
    #[serde(flatten)]
    meta: FrameworkMeta,
    #[serde(default)]
    nodes: Vec<NodeToml>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeToml {
    code: String,
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_points: Option<Points>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<Method>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guidance: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    evidence_required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    continues: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<Rule>,
    /// docs/formats.md §8.3: the node's self-assessed leaves score the impact component.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    impact: bool,
}

/// Reads the TOML form. Errors name the line of the node's `[[nodes]]` header.
pub fn framework_from_toml(name: &str, text: &str) -> Result<Framework, InputErrors> {
    let file: FrameworkToml = toml::from_str(text).map_err(|e| {
        let detail = e.to_string();
        InputError::problem(name, None, Problem::NotToml { detail })
    })?;
    // The line of each `[[nodes]]` header, so errors point into the file.
    let header_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with("[[nodes]]"))
        .map(|(i, _)| i + 1)
        .collect();
    let specs = file
        .nodes
        .into_iter()
        .enumerate()
        .map(|(i, node)| NodeSpec {
            row: header_lines.get(i).copied().unwrap_or(i + 1),
            code: node.code.trim().to_string(),
            title: node.title,
            title_en: node.title_en,
            max_points: node.max_points,
            method: node.method,
            guidance: node.guidance,
            evidence_required: node.evidence_required,
            rule: node.rule,
            // Codes as the CSV column reads them: trimmed, none empty.
            continues: node
                .continues
                .iter()
                .map(String::as_str)
                .flat_map(split_codes)
                .collect(),
            impact: node.impact,
        })
        .collect();
    build(
        name,
        file.meta,
        specs,
        InputErrors::default(),
        &HashSet::new(),
    )
    .map_err(|errors| {
        InputErrors(
            errors
                .0
                .into_iter()
                .map(|e| {
                    // In TOML the position is the line of the node's `[[nodes]]` header.
                    e.in_lines()
                })
                .collect(),
        )
    })
}

/// Writes the TOML form: inner nodes keep `max_points` only where it was stated, children
/// keep `method` only where it was stated, so a round trip changes nothing that matters.
pub fn framework_to_toml(framework: &Framework) -> String {
    let nodes = framework
        .to_source_specs()
        .into_iter()
        .map(|spec| NodeToml {
            code: spec.code,
            title: spec.title,
            title_en: spec.title_en,
            max_points: spec.max_points,
            method: spec.method,
            guidance: spec.guidance,
            evidence_required: spec.evidence_required,
            continues: spec.continues,
            rule: spec.rule,
            impact: spec.impact,
        })
        .collect();
    let file = FrameworkToml {
        meta: framework.meta.clone(),
        nodes,
    };
    toml::to_string_pretty(&file).expect("a framework is always representable in TOML")
}

/// Parses a unit kind for metadata given on the command line.
pub fn parse_unit_kind(text: &str) -> Result<UnitKind, String> {
    UnitKind::parse(text).ok_or_else(|| {
        format!("'{text}' is not a unit kind (province, ministry, department, commune)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::read_csv;

    const EXAMPLE: &str = include_str!("../../../tests/fixtures/compute/framework.csv");

    fn from_csv(text: &str) -> Result<Framework, InputErrors> {
        let table = read_csv("framework.csv", text.as_bytes()).unwrap();
        framework_from_table(&table, FrameworkMeta::default())
    }

    fn messages(text: &str) -> Vec<String> {
        from_csv(text)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn reads_the_contract_example() {
        let f = from_csv(EXAMPLE).unwrap();
        assert_eq!(f.max_points(), Points::whole(100));
        assert_eq!(f.leaves().len(), 10);
        let kiem_tra = f.node(f.find("1.3").unwrap());
        assert_eq!(kiem_tra.title, "Kiểm tra, tuyên truyền cải cách hành chính");
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let text = format!("\u{feff}{}", EXAMPLE.replace('\n', "\r\n"));
        assert_eq!(from_csv(&text).unwrap(), from_csv(EXAMPLE).unwrap());
    }

    #[test]
    fn names_row_and_code_for_every_rule_of_interchange_1() {
        let text = "code,title,max_points,method\n\
                    1,Area,10,\n\
                    1.1,Leaf,4,\n\
                    1.1,Again,4,\n\
                    1.2,No max,,\n\
                    2.1,Orphan,3,\n\
                    3,Negative,-2,\n\
                    4,Bad number,abc,\n\
                    5,Bad method,1,extra\n";
        assert_eq!(
            messages(text),
            [
                "framework.csv row 4: (code 1.1) duplicate code (first at row 3)",
                "framework.csv row 5: (code 1.2) leaf without max_points",
                "framework.csv row 6: (code 2.1) missing parent: no row has code 2",
                "framework.csv row 7: (code 3) negative points: max_points -2 is below 0",
                "framework.csv row 8: (code 4) max_points: 'abc' is not a number",
                "framework.csv row 9: (code 5) method: 'extra' is not one of self, survey, bonus, penalty",
            ]
        );
        assert_eq!(
            messages("code,title,max_points\n1,Area,10\n1.1,Leaf,4\n1.2,Leaf,5\n"),
            ["framework.csv row 2: (code 1) sum mismatch: max_points 10 but the children sum to 9"]
        );
    }

    #[test]
    fn reports_missing_columns_and_bad_rows() {
        assert_eq!(
            messages("code,max_points\n1,10\n"),
            ["framework.csv: missing column 'title' in the header row (found: code, max_points)"]
        );
        assert_eq!(
            messages("code,title,max_points\n1,A,10,extra\n"),
            ["framework.csv row 2: (code 1) row: wrong column count: 4, expected 3"]
        );
        assert_eq!(
            messages("code,title,max_points\n"),
            ["framework.csv: has no rows below the header"]
        );
    }

    #[test]
    fn parses_and_formats_rules() {
        for text in [
            "levels: 0; 0.5; 1",
            "threshold(on_time_share): 100 => 1; 80 => 0.5; else => 0",
            "proportional(online_share)",
            "survey(sipas)",
        ] {
            let rule = parse_rule(text, None).unwrap();
            assert_eq!(format_rule(&rule), text);
        }
        let refused = parse_rule("threshold: 1 => 1", None).unwrap_err();
        assert_eq!(
            refused,
            RuleProblem::NeedsInput {
                kind: "threshold".into()
            }
        );
        assert!(refused.to_string().contains("needs the input name"));
        let refused = parse_rule("magic(x)", None).unwrap_err();
        assert_eq!(
            refused,
            RuleProblem::UnknownKind {
                kind: "magic".into()
            }
        );
        assert!(refused.to_string().contains("not a rule kind"));
        assert_eq!(
            parse_rule("threshold(x): 1 -> 1", None),
            Err(RuleProblem::BadStep {
                step: "1 -> 1".into()
            })
        );
        assert_eq!(
            parse_rule("survey(sipas", None),
            Err(RuleProblem::Unclosed {
                head: "survey(sipas".into()
            })
        );
        assert_eq!(
            parse_rule("survey()", None),
            Err(RuleProblem::NeedsSource {
                kind: "survey".into()
            })
        );
        assert!(matches!(
            parse_rule("levels: 0; x", None),
            Err(RuleProblem::Points(_))
        ));
    }

    #[test]
    fn extended_columns_round_trip_through_csv_xlsx_and_toml() {
        let text = "code,title,max_points,method,guidance,evidence_required,rule,input_label,continues,impact\n\
                    1,Lĩnh vực,2,,,,,,1,\n\
                    1.1,\"Kế hoạch, báo cáo\",1,self,Đúng hạn: 1 điểm,có,levels: 0; 0.5; 1,,1.1;1.2,\n\
                    1.2,Đúng hạn,1,,,x,threshold(on_time): 100 => 1; 80 => 0.5; else => 0,Tỷ lệ (%),,\n\
                    2,Tác động,11,,,,,,,có\n\
                    2.1,SIPAS,10,survey,,,survey(sipas),,,\n\
                    2.2,Tăng trưởng,1,self,,,,,,\n\
                    9,Điểm thưởng,2,bonus,,,,,,\n";
        let original = from_csv(text).unwrap();
        let leaf = original.node(original.find("1.1").unwrap());
        assert!(leaf.evidence_required);
        assert_eq!(leaf.continues, ["1.1", "1.2"]);
        let growth = original.node(original.find("2.2").unwrap());
        assert!(
            growth.impact && !growth.impact_stated,
            "inherited from area 2"
        );
        assert!(!leaf.impact);

        let again = from_csv(&framework_to_csv(&original)).unwrap();
        assert_eq!(again.to_specs(), original.to_specs());

        let bytes = framework_to_xlsx(&original).unwrap();
        let table = crate::table::read_xlsx("f.xlsx", &bytes).unwrap();
        let from_xlsx = framework_from_table(&table, FrameworkMeta::default()).unwrap();
        assert_eq!(from_xlsx.to_specs(), original.to_specs());

        let toml_text = framework_to_toml(&original);
        let from_toml = framework_from_toml("f.toml", &toml_text).unwrap();
        assert_eq!(from_toml.to_specs(), original.to_specs());
    }

    #[test]
    fn a_bad_impact_flag_names_its_row() {
        let errors = from_csv("code,title,max_points,impact\n1,A,2,maybe\n").unwrap_err();
        assert!(
            errors.to_string().contains("impact: 'maybe' is not yes/no"),
            "{errors}"
        );
    }

    /// Found by fuzzing (fuzz/corpus/framework_toml/regression-empty-continued-code.toml): a
    /// TOML `continues = [""]` was kept as a code "" that the CSV column cannot hold, so the
    /// framework changed through its own export; the TOML list now reads as the column does.
    #[test]
    fn toml_continued_codes_read_as_the_csv_column_does() {
        let text = "id = \"x\"\ntitle = \"X\"\n[[nodes]]\ncode = \"1\"\ntitle = \"A\"\nmax_points = 5\ncontinues = [\"\", \" 1.1 \", \"1.2;1.3\"]\n";
        let framework = framework_from_toml("x.toml", text).unwrap();
        assert_eq!(framework.to_specs()[0].continues, ["1.1", "1.2", "1.3"]);
    }

    #[test]
    fn toml_errors_point_at_lines() {
        let text = "id = \"x\"\ntitle = \"X\"\n\n[[nodes]]\ncode = \"1\"\ntitle = \"A\"\nmax_points = 5\n\n[[nodes]]\ncode = \"1.1\"\ntitle = \"B\"\nmax_points = 4\n";
        let errors = framework_from_toml("x.toml", text).unwrap_err();
        assert_eq!(
            errors.to_string(),
            "x.toml line 4: (code 1) sum mismatch: max_points 5 but the children sum to 4"
        );
        let unknown = framework_from_toml(
            "x.toml",
            "id = \"x\"\ntitle = \"X\"\n[[nodes]]\ncode = \"1\"\ntitle = \"A\"\nmaxpoints = 5\n",
        );
        assert!(unknown.unwrap_err().to_string().contains("maxpoints"));
    }
}
