//! `chiso framework validate|show|export|list`.

use chiso_domain::framework::SAMPLE_LABEL;
use chiso_domain::{Framework, Method};
use chiso_interchange::framework_io::{
    format_rule, framework_to_csv, framework_to_toml, framework_to_xlsx,
};

use crate::cli::{FrameworkCommand, FrameworkFormat};
use crate::error::CliError;
use crate::inputs;
use crate::output::{write_output, write_text};

pub fn run(command: FrameworkCommand) -> Result<(), CliError> {
    match command {
        FrameworkCommand::Validate { file } => {
            let framework = inputs::framework(&file)?;
            write_text(None, &format!("{}\n", summary(&framework)))
        }
        FrameworkCommand::Show { file, guidance } => {
            let framework = inputs::framework(&file)?;
            write_text(None, &show(&framework, guidance))
        }
        FrameworkCommand::Export {
            file,
            format,
            output,
        } => {
            let framework = inputs::framework(&file)?;
            let bytes = match format {
                FrameworkFormat::Csv => framework_to_csv(&framework).into_bytes(),
                FrameworkFormat::Toml => framework_to_toml(&framework).into_bytes(),
                FrameworkFormat::Xlsx => framework_to_xlsx(&framework)
                    .map_err(|e| CliError::Failed(format!("cannot build the workbook: {e}")))?,
            };
            write_output(output.as_deref(), &bytes, format == FrameworkFormat::Xlsx)
        }
        FrameworkCommand::List => {
            for bundled in chiso_refdata::FRAMEWORKS {
                let framework = chiso_refdata::framework(bundled.id).expect("listed");
                println!("{:<20} {}", bundled.id, summary(&framework));
            }
            Ok(())
        }
    }
}

/// One line: title, totals and counts by method.
fn summary(framework: &Framework) -> String {
    let count = |method: Method| {
        framework
            .leaves()
            .iter()
            .filter(|&&leaf| framework.node(leaf).method == method)
            .count()
    };
    format!(
        "OK: {} — {} areas, {} leaves ({} self, {} survey, {} bonus, {} penalty), {} points",
        framework.display_title(),
        framework.areas().len(),
        framework.leaves().len(),
        count(Method::SelfAssessed),
        count(Method::Survey),
        count(Method::Bonus),
        count(Method::Penalty),
        framework.max_points()
    )
}

/// The tree, indented by depth.
fn show(framework: &Framework, with_guidance: bool) -> String {
    let meta = &framework.meta;
    let mut out = format!("{}\n", framework.display_title());
    if meta.sample {
        out.push_str(&format!("!! {SAMPLE_LABEL}\n"));
    }
    let details: Vec<String> = [
        meta.year.map(|y| format!("năm {y}")),
        meta.methodology.clone(),
        Some(format!("đơn vị: {}", meta.unit_kind.as_str())),
        Some(format!("tổng {} điểm", framework.max_points())),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.push_str(&details.join(" · "));
    out.push('\n');
    for id in framework.top_down() {
        let node = framework.node(id);
        let indent = "  ".repeat(node.depth - 1);
        let mut line = format!(
            "{indent}{:<8} {:>7}  {}",
            node.code,
            node.max_points.to_string(),
            node.title
        );
        if node.method != Method::SelfAssessed && (node.method_stated || node.parent.is_none()) {
            line.push_str(&format!("  [{}]", node.method));
        }
        if node.evidence_required {
            line.push_str("  [TLKC]");
        }
        if let Some(rule) = &node.rule {
            line.push_str(&format!("  {{{}}}", format_rule(rule)));
        }
        out.push_str(&line);
        out.push('\n');
        if with_guidance && let Some(guidance) = &node.guidance {
            for text in guidance.lines() {
                out.push_str(&format!("{indent}           {text}\n"));
            }
        }
    }
    out
}
