//! `chiso weakness`: where a unit lost points and what it takes to reach a target
//! (docs/method.md §7, the analysis behind an improvement plan).

use chiso_domain::weakness::{Target, area_losses, compare_with_peers, leaf_losses, what_it_takes};
use chiso_domain::{Bands, Framework, evaluate};
use serde::Serialize;

use crate::cli::{WeaknessArgs, WeaknessFormat};
use crate::error::CliError;
use crate::inputs;
use crate::output::{write_output, write_text};

#[derive(Serialize)]
struct WeaknessReport {
    unit_code: String,
    unit_name: Option<String>,
    index: f64,
    rank: u32,
    units: usize,
    areas: Vec<Line>,
    leaves: Vec<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<TargetReport>,
}

#[derive(Serialize)]
struct Line {
    code: String,
    title: String,
    points: f64,
    max_points: f64,
    lost: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    best: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    median: Option<f64>,
}

#[derive(Serialize)]
struct TargetReport {
    target_index: f64,
    points_needed: f64,
    recoverable: f64,
    reachable: bool,
    leaves: Vec<String>,
}

pub fn run(args: WeaknessArgs) -> Result<(), CliError> {
    let (framework, scores, directory) = inputs::read_scoring_inputs(&args.inputs)?;
    let evaluation = evaluate(&framework, scores.units, &Bands::default());
    let unit = evaluation.find(&args.unit).ok_or_else(|| {
        CliError::Usage(format!(
            "unit {} has no scores in {}",
            args.unit,
            args.inputs.scores.display()
        ))
    })?;
    let target = match (args.target_rank, args.target_index) {
        (Some(rank), _) => Some(Target::Rank(rank)),
        (None, Some(index)) => Some(Target::Index(index)),
        (None, None) => None,
    };
    let peers = compare_with_peers(&framework, &evaluation, unit);
    let line = |framework: &Framework, loss: &chiso_domain::weakness::LeafLoss| {
        let node = framework.node(loss.leaf);
        let peer = peers.iter().find(|p| p.leaf == loss.leaf);
        Line {
            code: node.code.clone(),
            title: node.title.clone(),
            points: loss.points.to_f64(),
            max_points: loss.max_points.to_f64(),
            lost: loss.lost.to_f64(),
            best: peer.map(|p| p.best.to_f64()),
            median: peer.map(|p| p.median.to_f64()),
        }
    };
    let target = target
        .map(|t| what_it_takes(&framework, &evaluation, unit, t))
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?
        .map(|plan| TargetReport {
            target_index: plan.target_index_hundredths as f64 / 100.0,
            points_needed: plan.points_needed.to_f64(),
            recoverable: plan.recoverable.to_f64(),
            reachable: plan.reachable,
            leaves: plan
                .leaves
                .iter()
                .map(|l| framework.node(l.leaf).code.clone())
                .collect(),
        });
    let report = WeaknessReport {
        unit_code: unit.code.clone(),
        unit_name: directory.names.get(&unit.code).cloned(),
        index: unit.index,
        rank: unit.rank,
        units: evaluation.units.len(),
        areas: area_losses(&framework, unit)
            .iter()
            .map(|l| line(&framework, l))
            .collect(),
        leaves: leaf_losses(&framework, unit)
            .iter()
            .take(args.top)
            .map(|l| line(&framework, l))
            .collect(),
        target,
    };
    match args.format {
        WeaknessFormat::Json => {
            let json = serde_json::to_string_pretty(&report).expect("plain data") + "\n";
            write_output(None, json.as_bytes(), false)
        }
        WeaknessFormat::Table => write_text(None, &table(&report)),
    }
}

fn table(report: &WeaknessReport) -> String {
    let mut out = format!(
        "{} {} — chỉ số {:.2}, hạng {}/{}\n\nĐiểm bị mất theo lĩnh vực:\n",
        report.unit_code,
        report.unit_name.as_deref().unwrap_or(""),
        report.index,
        report.rank,
        report.units
    );
    for area in &report.areas {
        out.push_str(&format!(
            "  {:<6} {:>7.2}/{:<7.2} mất {:>6.2}  {}\n",
            area.code, area.points, area.max_points, area.lost, area.title
        ));
    }
    out.push_str(
        "\nTiêu chí mất nhiều điểm nhất (điểm / tối đa, cao nhất và trung vị các đơn vị):\n",
    );
    for leaf in &report.leaves {
        out.push_str(&format!(
            "  {:<8} {:>6.2}/{:<6.2} mất {:>5.2}  cao nhất {:>5.2}  trung vị {:>5.2}  {}\n",
            leaf.code,
            leaf.points,
            leaf.max_points,
            leaf.lost,
            leaf.best.unwrap_or(0.0),
            leaf.median.unwrap_or(0.0),
            leaf.title
        ));
    }
    if let Some(target) = &report.target {
        out.push_str(&format!(
            "\nMục tiêu chỉ số {:.2}: cần thêm {:.4} điểm; có thể khôi phục {:.4} điểm ({}).\n",
            target.target_index,
            target.points_needed,
            target.recoverable,
            if target.reachable {
                "khả thi"
            } else {
                "không đủ"
            }
        ));
        if !target.leaves.is_empty() {
            out.push_str(&format!(
                "Ưu tiên các tiêu chí: {}\n",
                target.leaves.join(", ")
            ));
        }
    }
    out
}
