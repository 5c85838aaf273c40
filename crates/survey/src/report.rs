//! The report of `chiso survey index` (docs/formats.md §6): per unit, by channel, for named
//! groups of units and for all accepted responses, with samples against targets, changes
//! against a previous result and against the province average; rendered as JSON (the
//! contract's fields, unrounded, plus extras), CSV, a text table in Vietnamese and .xlsx.

use std::collections::HashMap;

use serde::Serialize;

use crate::compare::{Change, Reference, average, compare};
use crate::index::{SurveyResult, index_from_counts};
use crate::questionnaire::Questionnaire;
use crate::reader::{Rejection, Tally};
use crate::sample::{SampleCheck, check_sample};

/// How the confidence intervals are computed, stated in every report.
pub const CI_METHOD: &str = "normal approximation per item with Kish's effective sample size (Σw)²/Σw²; a factor or index interval uses the bound se ≤ Σ cᵢ·seᵢ over its items (valid for any correlation between items); ±1.96·se, clamped to [0, 100]";

/// What to add to the per-unit results.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Results per channel over all units (and per unit × channel in the workbook).
    pub by_channel: bool,
    /// Results per service (the `service` column) over all units, and per unit × service.
    pub by_service: bool,
    /// Named groups of units, each merged into one result.
    pub groups: Vec<(String, Vec<String>)>,
    /// Transactions per unit and the margin of error, for sample targets.
    pub targets: Option<(HashMap<String, u64>, f64)>,
    /// Earlier results per unit code (and "all" under the key `*`).
    pub previous: Option<HashMap<String, Reference>>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub questionnaire: String,
    pub questionnaire_title: String,
    pub questionnaire_version: u32,
    pub ci_method: &'static str,
    /// Data rows read (accepted and rejected).
    pub rows: u64,
    pub accepted: u64,
    pub units: Vec<UnitReport>,
    pub all: ScopeReport,
    /// The mean over units of the index and of each factor.
    pub average: AverageReport,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unit_channels: Vec<UnitChannelReport>,
    /// With `--by service`: one result per service code ("" for responses naming none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unit_services: Vec<UnitServiceReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupReport>,
    pub rejected: Vec<Rejection>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitReport {
    pub unit_code: String,
    /// The unit's name, when the caller knows it (the web's results; the workbook shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    #[serde(flatten)]
    pub result: SurveyResult,
    /// The sample against the target from the unit's transactions (with `--transactions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Change>,
    pub vs_average: Change,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScopeReport {
    #[serde(flatten)]
    pub result: SurveyResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Change>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelReport {
    pub channel: String,
    #[serde(flatten)]
    pub result: SurveyResult,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitChannelReport {
    pub unit_code: String,
    pub channel: String,
    #[serde(flatten)]
    pub result: SurveyResult,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    pub service: String,
    #[serde(flatten)]
    pub result: SurveyResult,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitServiceReport {
    pub unit_code: String,
    pub service: String,
    #[serde(flatten)]
    pub result: SurveyResult,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub units: Vec<String>,
    #[serde(flatten)]
    pub result: SurveyResult,
}

#[derive(Clone, Debug, Serialize)]
pub struct AverageReport {
    pub units: usize,
    pub index: Option<f64>,
    pub factors: Vec<CodeValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CodeValue {
    pub code: String,
    pub index: Option<f64>,
}

/// Builds the report of a tally. Units are in code order.
pub fn build_report(
    questionnaire: &Questionnaire,
    tally: &Tally,
    options: &ReportOptions,
) -> Report {
    let unit_results: Vec<(String, SurveyResult)> = tally
        .units(questionnaire)
        .into_iter()
        .map(|(code, counts)| {
            let result = index_from_counts(questionnaire, &counts);
            (code, result)
        })
        .collect();
    let mean = average(unit_results.iter().map(|(_, r)| r));
    let average = average_report(tally.units.len(), &mean);
    let units = unit_reports(unit_results, &mean, options);
    let all = index_from_counts(questionnaire, &tally.all(questionnaire));
    let (channels, unit_channels) = if options.by_channel {
        channel_reports(questionnaire, tally)
    } else {
        (Vec::new(), Vec::new())
    };
    let (services, unit_services) = if options.by_service {
        service_reports(questionnaire, tally)
    } else {
        (Vec::new(), Vec::new())
    };
    Report {
        questionnaire: questionnaire.id.clone(),
        questionnaire_title: questionnaire.title.clone(),
        questionnaire_version: questionnaire.version,
        ci_method: CI_METHOD,
        rows: tally.rows,
        accepted: tally.accepted(),
        average,
        units,
        all: ScopeReport {
            previous: previous_of(options, "*", &all),
            result: all,
        },
        channels,
        unit_channels,
        services,
        unit_services,
        groups: group_reports(questionnaire, tally, &options.groups),
        rejected: tally.rejected.clone(),
        warnings: tally.warnings.clone(),
    }
}

/// The change against the earlier result under `key` (a unit code, or `*` for all), if given.
fn previous_of(options: &ReportOptions, key: &str, result: &SurveyResult) -> Option<Change> {
    options
        .previous
        .as_ref()
        .and_then(|p| p.get(key))
        .map(|reference| compare(result, reference, true))
}

/// The mean over `units` units of the index and of each factor.
fn average_report(units: usize, mean: &Reference) -> AverageReport {
    AverageReport {
        units,
        index: mean.index,
        factors: mean
            .factors
            .iter()
            .map(|(code, index)| CodeValue {
                code: code.clone(),
                index: *index,
            })
            .collect(),
    }
}

/// Each unit's result with its sample check, its change against the previous result and
/// against the average.
fn unit_reports(
    unit_results: Vec<(String, SurveyResult)>,
    mean: &Reference,
    options: &ReportOptions,
) -> Vec<UnitReport> {
    unit_results
        .into_iter()
        .map(|(code, result)| UnitReport {
            sample: options.targets.as_ref().and_then(|(transactions, margin)| {
                transactions
                    .get(&code)
                    .map(|&n| check_sample(n, *margin, result.responses))
            }),
            previous: previous_of(options, &code, &result),
            vs_average: compare(&result, mean, false),
            unit_code: code,
            unit_name: None,
            result,
        })
        .collect()
}

/// The results per channel over all units, and per unit × channel.
fn channel_reports(
    questionnaire: &Questionnaire,
    tally: &Tally,
) -> (Vec<ChannelReport>, Vec<UnitChannelReport>) {
    let channels = tally
        .channels(questionnaire)
        .into_iter()
        .map(|(channel, counts)| ChannelReport {
            channel,
            result: index_from_counts(questionnaire, &counts),
        })
        .collect();
    let unit_channels = tally
        .unit_channels(questionnaire)
        .into_iter()
        .map(|(unit, channel, counts)| UnitChannelReport {
            unit_code: unit.to_string(),
            channel: channel.to_string(),
            result: index_from_counts(questionnaire, &counts),
        })
        .collect();
    (channels, unit_channels)
}

/// The results per service over all units, and per unit × service.
fn service_reports(
    questionnaire: &Questionnaire,
    tally: &Tally,
) -> (Vec<ServiceReport>, Vec<UnitServiceReport>) {
    let services = tally
        .services(questionnaire)
        .into_iter()
        .map(|(service, counts)| ServiceReport {
            service,
            result: index_from_counts(questionnaire, &counts),
        })
        .collect();
    let unit_services = tally
        .unit_services(questionnaire)
        .into_iter()
        .map(|(unit, service, counts)| UnitServiceReport {
            unit_code: unit.to_string(),
            service: service.to_string(),
            result: index_from_counts(questionnaire, &counts),
        })
        .collect();
    (services, unit_services)
}

/// Each named group of units merged into one result.
fn group_reports(
    questionnaire: &Questionnaire,
    tally: &Tally,
    groups: &[(String, Vec<String>)],
) -> Vec<GroupReport> {
    groups
        .iter()
        .map(|(name, codes)| {
            let codes_ref: Vec<&str> = codes.iter().map(String::as_str).collect();
            GroupReport {
                name: name.clone(),
                units: codes.clone(),
                result: index_from_counts(
                    questionnaire,
                    &tally.group_of_units(questionnaire, &codes_ref),
                ),
            }
        })
        .collect()
}

/// Reads an earlier `chiso survey index --format json` output: the reference of each unit,
/// and of `all` under the key `*`.
pub fn previous_from_json(text: &str) -> Result<HashMap<String, Reference>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not readable as JSON: {e}"))?;
    let reference = |v: &serde_json::Value| {
        let pairs = |list: &str, value: &str| -> Vec<(String, Option<f64>)> {
            v.get(list)
                .and_then(|l| l.as_array())
                .map(|l| {
                    l.iter()
                        .filter_map(|x| {
                            Some((
                                x.get("code")?.as_str()?.to_string(),
                                x.get(value).and_then(|n| n.as_f64()),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Reference {
            index: v.get("index").and_then(|n| n.as_f64()),
            factors: pairs("factors", "index"),
            items: pairs("items", "satisfied_rate"),
        }
    };
    let units = value
        .get("units")
        .and_then(|u| u.as_array())
        .ok_or("no 'units' list: not a chiso survey index output")?;
    let mut out = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        let code = unit
            .get("unit_code")
            .and_then(|c| c.as_str())
            .ok_or(format!("units[{i}] has no unit_code"))?;
        out.insert(code.to_string(), reference(unit));
    }
    if let Some(all) = value.get("all") {
        out.insert("*".to_string(), reference(all));
    }
    Ok(out)
}

/// A number with a decimal comma, as Vietnamese text writes it (88,47).
pub fn vi_number(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}").replace('.', ",")
}

/// An integer with dots between thousands (1.000.000).
pub fn vi_integer(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".to_string(), |v| vi_number(v, decimals))
}

fn interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or("–".to_string(), |[low, high]| {
        format!("{}–{}", vi_number(low, 1), vi_number(high, 1))
    })
}

/// One line of the summary tables.
struct Line<'a> {
    label: String,
    result: &'a SurveyResult,
    flag: &'static str,
}

fn summary_table(questionnaire: &Questionnaire, heading: &str, lines: &[Line]) -> String {
    let label_width = lines
        .iter()
        .map(|l| l.label.chars().count())
        .chain([heading.chars().count()])
        .max()
        .unwrap_or(6)
        .clamp(6, 30);
    let mut out = format!(
        "{:<label_width$}  {:>10}  {:>7}  {:<11}  {:>6}  {:>8}",
        heading, "Số phiếu", "Chỉ số", "KTC 95%", "Điểm", "HL chung"
    );
    for f in &questionnaire.factors {
        out.push_str(&format!("  {:>6}", f.code));
    }
    out.push('\n');
    for line in lines {
        let r = line.result;
        let label: String = line.label.chars().take(label_width).collect();
        out.push_str(&format!(
            "{:<label_width$}  {:>10}  {:>7}  {:<11}  {:>6}  {:>8}",
            label,
            format!("{}{}", vi_integer(r.responses), line.flag),
            opt(r.index, 2),
            interval(r.ci95),
            opt(r.par_points, 2),
            opt(r.overall_satisfied_rate, 2),
        ));
        for f in &r.factors {
            out.push_str(&format!("  {:>6}", opt(f.index, 2)));
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

impl Report {
    /// The JSON of docs/formats.md §6 (values unrounded) with the extra fields.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report serializes");
        text.push('\n');
        text
    }

    /// A text table in Vietnamese, numbers rounded for reading (2 decimals, decimal comma).
    pub fn to_table(&self, questionnaire: &Questionnaire) -> String {
        let mut out = format!(
            "{} — {} (phiên bản {})\n",
            questionnaire.id, questionnaire.title, questionnaire.version
        );
        out.push_str(&format!(
            "Đã đọc {} dòng: {} phiếu hợp lệ, {} dòng bị loại; {} đơn vị.\n\n",
            vi_integer(self.rows),
            vi_integer(self.accepted),
            vi_integer(self.rejected.len() as u64),
            self.units.len()
        ));
        self.table_units(questionnaire, &mut out);
        self.table_changes(&mut out);
        self.table_breakdowns(questionnaire, &mut out);
        if self.all.result.expectations.iter().any(|e| e.count > 0) {
            out.push_str("\nMong đợi cải thiện (toàn bộ, % người trả lời):\n");
            for e in self.all.result.expectations.iter().filter(|e| e.count > 0) {
                out.push_str(&format!("  {:>6}  {}\n", vi_number(e.share, 2), e.label));
            }
        }
        out.push_str("\nYếu tố: ");
        let factors: Vec<String> = questionnaire
            .factors
            .iter()
            .map(|f| format!("{} {}", f.code, f.title))
            .collect();
        out.push_str(&factors.join("; "));
        out.push_str(".\nKTC 95%: khoảng tin cậy 95 % của chỉ số. Điểm: điểm trong Chỉ số CCHC. HL chung: tỷ lệ hài lòng chung.\n");
        self.table_rejected(&mut out);
        out
    }

    /// The table of units and all, the average over units and the units below their sample
    /// target.
    fn table_units(&self, questionnaire: &Questionnaire, out: &mut String) {
        let mut lines: Vec<Line> = self
            .units
            .iter()
            .map(|u| Line {
                label: u.unit_code.clone(),
                result: &u.result,
                flag: if u.sample.as_ref().is_some_and(|s| s.below_target) {
                    "*"
                } else {
                    ""
                },
            })
            .collect();
        lines.push(Line {
            label: "Toàn bộ".to_string(),
            result: &self.all.result,
            flag: "",
        });
        out.push_str(&summary_table(questionnaire, "Đơn vị", &lines));
        if self.average.units > 0 {
            let mut line = format!(
                "Trung bình {} đơn vị: chỉ số {}",
                self.average.units,
                opt(self.average.index, 2)
            );
            for f in &self.average.factors {
                line.push_str(&format!("; {} {}", f.code, opt(f.index, 2)));
            }
            out.push_str(&line);
            out.push('\n');
        }
        for u in &self.units {
            if let Some(s) = u.sample.as_ref().filter(|s| s.below_target) {
                out.push_str(&format!(
                    "* {}: {} phiếu, dưới cỡ mẫu mục tiêu {} (N = {} giao dịch)\n",
                    u.unit_code,
                    vi_integer(s.responses),
                    vi_integer(s.target),
                    vi_integer(s.transactions)
                ));
            }
        }
    }

    /// Each unit's index against the previous result, when one was given.
    fn table_changes(&self, out: &mut String) {
        if !self.units.iter().any(|u| u.previous.is_some()) {
            return;
        }
        out.push_str("\nThay đổi so với kỳ trước (điểm %):\n");
        for u in &self.units {
            if let Some(p) = &u.previous {
                out.push_str(&format!(
                    "  {}: {} → {} ({})\n",
                    u.unit_code,
                    opt(p.index, 2),
                    opt(u.result.index, 2),
                    p.index_change.map_or("–".to_string(), |c| format!(
                        "{}{}",
                        if c >= 0.0 { "+" } else { "" },
                        vi_number(c, 2)
                    ))
                ));
            }
        }
    }

    /// The tables per channel, per service and per group, those asked for.
    fn table_breakdowns(&self, questionnaire: &Questionnaire, out: &mut String) {
        let unnamed = |name: &str| {
            if name.is_empty() {
                "(không ghi)".to_string()
            } else {
                name.to_string()
            }
        };
        let mut table = |heading: &str, lines: Vec<Line>| {
            if !lines.is_empty() {
                out.push('\n');
                out.push_str(&summary_table(questionnaire, heading, &lines));
            }
        };
        let line = |label: String, result| Line {
            label,
            result,
            flag: "",
        };
        table(
            "Kênh",
            self.channels
                .iter()
                .map(|c| line(unnamed(&c.channel), &c.result))
                .collect(),
        );
        table(
            "Dịch vụ",
            self.services
                .iter()
                .map(|s| line(unnamed(&s.service), &s.result))
                .collect(),
        );
        table(
            "Nhóm",
            self.groups
                .iter()
                .map(|g| line(g.name.clone(), &g.result))
                .collect(),
        );
    }

    /// The rejected rows, the first 200.
    fn table_rejected(&self, out: &mut String) {
        if self.rejected.is_empty() {
            return;
        }
        out.push_str(&format!("\nDòng bị loại ({}):\n", self.rejected.len()));
        for r in self.rejected.iter().take(200) {
            out.push_str(&format!("  dòng {}: {}\n", r.row, r.reason));
        }
        if self.rejected.len() > 200 {
            out.push_str(&format!(
                "  … và {} dòng khác (xem --format json)\n",
                self.rejected.len() - 200
            ));
        }
    }

    fn csv_header(questionnaire: &Questionnaire) -> Vec<String> {
        let mut header: Vec<String> = [
            "scope",
            "code",
            "responses",
            "weight",
            "index",
            "ci95_low",
            "ci95_high",
            "par_points",
            "overall_satisfied_rate",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for f in &questionnaire.factors {
            header.push(f.code.clone());
            header.push(format!("{}_ci95_low", f.code));
            header.push(format!("{}_ci95_high", f.code));
        }
        let in_factors = questionnaire.items.iter().filter(|i| i.factor.is_some());
        let others = questionnaire.items.iter().filter(|i| i.factor.is_none());
        for i in in_factors.chain(others) {
            header.push(i.code.clone());
            header.push(format!("{}_answered", i.code));
        }
        header
    }

    fn csv_row(scope: &str, code: &str, r: &SurveyResult) -> Vec<String> {
        let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let mut row = vec![
            scope.to_string(),
            code.to_string(),
            r.responses.to_string(),
            r.weight.to_string(),
            num(r.index),
            num(r.ci95.map(|c| c[0])),
            num(r.ci95.map(|c| c[1])),
            num(r.par_points),
            num(r.overall_satisfied_rate),
        ];
        for f in &r.factors {
            row.push(num(f.index));
            row.push(num(f.ci95.map(|c| c[0])));
            row.push(num(f.ci95.map(|c| c[1])));
        }
        for i in r.items.iter().chain(&r.other_items) {
            row.push(num(i.satisfied_rate));
            row.push(i.answered.to_string());
        }
        row
    }

    /// One row per unit, then per channel, service and group when asked, then `all`; numbers unrounded
    /// with a dot, as in JSON.
    pub fn to_csv(&self, questionnaire: &Questionnaire) -> String {
        let rows = std::iter::once(Self::csv_header(questionnaire))
            .chain(
                self.units
                    .iter()
                    .map(|u| Self::csv_row("unit", &u.unit_code, &u.result)),
            )
            .chain(
                self.channels
                    .iter()
                    .map(|c| Self::csv_row("channel", &c.channel, &c.result)),
            )
            .chain(
                self.services
                    .iter()
                    .map(|c| Self::csv_row("service", &c.service, &c.result)),
            )
            .chain(
                self.groups
                    .iter()
                    .map(|g| Self::csv_row("group", &g.name, &g.result)),
            )
            .chain(std::iter::once(Self::csv_row(
                "all",
                "all",
                &self.all.result,
            )));
        chiso_interchange::csv_out::to_string(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers() {
        assert_eq!(vi_number(88.4749, 2), "88,47");
        assert_eq!(vi_integer(1_000_000), "1.000.000");
        assert_eq!(vi_integer(999), "999");
        assert_eq!(vi_integer(0), "0");
    }
}
