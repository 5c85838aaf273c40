//! Criteria frameworks (bộ tiêu chí): a versioned tree of areas, criteria and sub-criteria
//! with max points, built from rows and validated as a whole (docs/formats.md §1).

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::points::Points;
use crate::rule::Rule;

/// How a node's points are obtained (docs/formats.md §1, `method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Self-assessed by the unit, then appraised.
    #[default]
    #[serde(rename = "self")]
    SelfAssessed,
    /// Filled from a survey result; not self-assessed (1149/QĐ-BNV).
    Survey,
    /// Outside the 100-point tree, added to the total, capped by max points.
    Bonus,
    /// Outside the 100-point tree, subtracted from the total, capped by max points.
    Penalty,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::SelfAssessed,
        Method::Survey,
        Method::Bonus,
        Method::Penalty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::SelfAssessed => "self",
            Method::Survey => "survey",
            Method::Bonus => "bonus",
            Method::Penalty => "penalty",
        }
    }

    /// Parses the contract's spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Bonus and penalty nodes sit outside the tree total (docs/formats.md §4).
    pub fn is_outside_tree(self) -> bool {
        matches!(self, Method::Bonus | Method::Penalty)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of unit a framework assesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    #[default]
    Province,
    Ministry,
    Department,
    Commune,
}

impl UnitKind {
    pub const ALL: [UnitKind; 4] = [
        UnitKind::Province,
        UnitKind::Ministry,
        UnitKind::Department,
        UnitKind::Commune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::Ministry => "ministry",
            UnitKind::Department => "department",
            UnitKind::Commune => "commune",
        }
    }

    pub fn parse(text: &str) -> Option<UnitKind> {
        UnitKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// What a framework version records about itself (versioning).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct FrameworkMeta {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Methodology reference, e.g. "QĐ 1149/QĐ-BNV".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methodology: Option<String>,
    #[serde(default)]
    pub unit_kind: UnitKind,
    /// An illustrative sample, not an official table: labelled so wherever it is shown
    /// (docs/method.md §2.3).
    #[serde(default)]
    pub sample: bool,
    /// The id of the framework version this one continues (lineage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// The label every view and export of a sample framework carries (docs/method.md §2.3).
pub const SAMPLE_LABEL: &str = "Mẫu minh họa – không phải bộ tiêu chí chính thức";

/// One node as read from a file, before the tree is checked. `row` is the 1-based row of the
/// source (the header is row 1 in CSV), used in every error message.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeSpec {
    pub row: usize,
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    pub max_points: Option<Points>,
    /// `None` = not stated: inherited from the parent, `self` at the top.
    pub method: Option<Method>,
    pub guidance: Option<String>,
    pub evidence_required: bool,
    pub rule: Option<Rule>,
    /// Codes in the previous framework version that this node continues.
    pub continues: Vec<String>,
    /// Whether the node's self-assessed leaves score the impact on socio-economic development
    /// rather than the results of the reform (docs/method.md §2.3); inherited by descendants.
    pub impact: bool,
}

/// A checked node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub code: String,
    pub title: String,
    pub title_en: Option<String>,
    pub max_points: Points,
    /// Whether `max_points` was written in the source (inner nodes may leave it to the sum).
    pub max_points_stated: bool,
    pub method: Method,
    pub method_stated: bool,
    pub guidance: Option<String>,
    pub evidence_required: bool,
    pub rule: Option<Rule>,
    pub continues: Vec<String>,
    /// Stated on this node (see [`NodeSpec::impact`]).
    pub impact_stated: bool,
    /// Stated on this node or an ancestor: its self-assessed leaves form the impact component.
    pub impact: bool,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// 1 for an area, 2 for a criterion, 3 for a sub-criterion, and so on.
    pub depth: usize,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

/// Index of a node in its framework, stable for the framework's lifetime.
pub type NodeId = usize;

/// What is wrong with one row of a framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameworkProblem {
    EmptyCode,
    InvalidCode,
    EmptyTitle,
    DuplicateCode {
        first_row: usize,
    },
    MissingParent {
        parent: String,
    },
    LeafWithoutMaxPoints,
    NegativePoints {
        value: Points,
    },
    SumMismatch {
        stated: Points,
        children: Points,
    },
    /// Bonus and penalty sit outside the tree: only at the top, or under a node of the same
    /// method.
    MisplacedMethod {
        method: Method,
        parent_method: Method,
    },
    RuleOnInnerNode,
    SurveyRuleOnNonSurveyLeaf,
    /// The leaf's rule does not fit it (docs/formats.md §8.2).
    BadRule {
        problem: crate::rule::RuleProblem,
    },
    NoTree,
}

/// A problem with a row, named by row and code (docs/formats.md §1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkError {
    pub row: usize,
    pub code: String,
    pub problem: FrameworkProblem,
}

impl fmt::Display for FrameworkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameworkProblem::EmptyCode => write!(f, "code is empty"),
            FrameworkProblem::InvalidCode => write!(
                f,
                "code is not a dotted code (letters or digits separated by dots, e.g. 1.2.3)"
            ),
            FrameworkProblem::EmptyTitle => write!(f, "title is empty"),
            FrameworkProblem::DuplicateCode { first_row } => {
                write!(f, "duplicate code (first at row {first_row})")
            }
            FrameworkProblem::MissingParent { parent } => {
                write!(f, "missing parent: no row has code {parent}")
            }
            FrameworkProblem::LeafWithoutMaxPoints => write!(f, "leaf without max_points"),
            FrameworkProblem::NegativePoints { value } => {
                write!(f, "negative points: max_points {value} is below 0")
            }
            FrameworkProblem::SumMismatch { stated, children } => write!(
                f,
                "sum mismatch: max_points {stated} but the children sum to {children}"
            ),
            FrameworkProblem::MisplacedMethod {
                method,
                parent_method,
            } => write!(
                f,
                "method {method} is not allowed under a {parent_method} node (bonus and penalty sit at the top of the tree)"
            ),
            FrameworkProblem::RuleOnInnerNode => {
                write!(f, "a scoring rule is only allowed on a leaf")
            }
            FrameworkProblem::SurveyRuleOnNonSurveyLeaf => {
                write!(f, "a survey rule needs method survey")
            }
            FrameworkProblem::BadRule { problem } => write!(f, "rule: {problem}"),
            FrameworkProblem::NoTree => write!(
                f,
                "the framework has no scored node outside bonus and penalty"
            ),
        }
    }
}

impl fmt::Display for FrameworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            write!(f, "row {}: {}", self.row, self.problem)
        } else {
            write!(f, "row {} (code {}): {}", self.row, self.code, self.problem)
        }
    }
}

/// A checked criteria framework. Nodes are in source order; every parent precedes nothing in
/// particular, so code that needs children before parents uses [`Framework::bottom_up`].
#[derive(Clone, Debug, PartialEq)]
pub struct Framework {
    pub meta: FrameworkMeta,
    nodes: Vec<Node>,
    by_code: HashMap<String, NodeId>,
    bottom_up: Vec<NodeId>,
    leaves: Vec<NodeId>,
    areas: Vec<NodeId>,
    outside_tree: Vec<NodeId>,
    max_points: Points,
}

/// `a.b.c` → `Some("a.b")`; `a` → `None`.
pub fn parent_code(code: &str) -> Option<&str> {
    code.rsplit_once('.').map(|(parent, _)| parent)
}

fn is_valid_code(code: &str) -> bool {
    code.split('.')
        .all(|segment| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The tree of a framework's rows as it is checked: each row's parent and children (by
/// position), the depth-first order from the roots, and the methods, depths and maximum
/// points worked out along it.
struct Shape {
    by_code: HashMap<String, NodeId>,
    parent: Vec<Option<NodeId>>,
    children: Vec<Vec<NodeId>>,
    top_down: Vec<NodeId>,
    method: Vec<Method>,
    depth: Vec<usize>,
    max_points: Vec<Points>,
}

/// The problems found in a framework's rows, in the order the checks find them.
struct Problems<'a> {
    specs: &'a [NodeSpec],
    errors: Vec<FrameworkError>,
}

impl Problems<'_> {
    fn push(&mut self, id: NodeId, problem: FrameworkProblem) {
        let spec = &self.specs[id];
        self.errors.push(FrameworkError {
            row: spec.row,
            code: spec.code.clone(),
            problem,
        })
    }

    /// Codes: present, well formed, unique; titles present; points not negative. Returns the
    /// rows by code and which rows can be placed in the tree.
    fn codes(&mut self) -> (HashMap<String, NodeId>, Vec<bool>) {
        let specs = self.specs;
        let mut by_code: HashMap<String, NodeId> = HashMap::new();
        let mut usable = vec![true; specs.len()];
        for (id, spec) in specs.iter().enumerate() {
            if spec.code.is_empty() {
                self.push(id, FrameworkProblem::EmptyCode);
                usable[id] = false;
            } else if !is_valid_code(&spec.code) {
                self.push(id, FrameworkProblem::InvalidCode);
                usable[id] = false;
            } else if let Some(&first) = by_code.get(&spec.code) {
                self.push(
                    id,
                    FrameworkProblem::DuplicateCode {
                        first_row: specs[first].row,
                    },
                );
                usable[id] = false;
            } else {
                by_code.insert(spec.code.clone(), id);
            }
            if spec.title.trim().is_empty() {
                self.push(id, FrameworkProblem::EmptyTitle);
            }
            if let Some(max) = spec.max_points
                && max.is_negative()
            {
                self.push(id, FrameworkProblem::NegativePoints { value: max });
            }
        }
        (by_code, usable)
    }

    /// Parents and children of the usable rows; a row whose parent is missing becomes
    /// unusable.
    fn links(
        &mut self,
        by_code: &HashMap<String, NodeId>,
        usable: &mut [bool],
    ) -> (Vec<Option<NodeId>>, Vec<Vec<NodeId>>) {
        let specs = self.specs;
        let mut parent: Vec<Option<NodeId>> = vec![None; specs.len()];
        let mut children: Vec<Vec<NodeId>> = vec![Vec::new(); specs.len()];
        for (id, spec) in specs.iter().enumerate() {
            if !usable[id] {
                continue;
            }
            if let Some(parent_code) = parent_code(&spec.code) {
                match by_code.get(parent_code) {
                    Some(&p) => {
                        parent[id] = Some(p);
                        children[p].push(id);
                    }
                    None => {
                        self.push(
                            id,
                            FrameworkProblem::MissingParent {
                                parent: parent_code.to_string(),
                            },
                        );
                        usable[id] = false;
                    }
                }
            }
        }
        (parent, children)
    }

    /// Methods: inherited when not stated; bonus and penalty only at the top or under a node
    /// of the same method. Returns each row's method and depth.
    fn methods(
        &mut self,
        top_down: &[NodeId],
        parent: &[Option<NodeId>],
    ) -> (Vec<Method>, Vec<usize>) {
        let specs = self.specs;
        let mut method = vec![Method::SelfAssessed; specs.len()];
        let mut depth = vec![1usize; specs.len()];
        for &id in top_down {
            let spec = &specs[id];
            match parent[id] {
                None => method[id] = spec.method.unwrap_or_default(),
                Some(p) => {
                    depth[id] = depth[p] + 1;
                    let inherited = method[p];
                    let own = spec.method.unwrap_or(inherited);
                    let allowed = if inherited.is_outside_tree() {
                        own == inherited
                    } else {
                        !own.is_outside_tree()
                    };
                    if !allowed {
                        self.push(
                            id,
                            FrameworkProblem::MisplacedMethod {
                                method: own,
                                parent_method: inherited,
                            },
                        );
                    }
                    method[id] = own;
                }
            }
        }
        (method, depth)
    }

    /// Max points: leaves must state them; inner nodes equal their children's sum.
    fn max_points(&mut self, top_down: &[NodeId], children: &[Vec<NodeId>]) -> Vec<Points> {
        let specs = self.specs;
        let mut max_points = vec![Points::ZERO; specs.len()];
        for &id in top_down.iter().rev() {
            let spec = &specs[id];
            if children[id].is_empty() {
                match spec.max_points {
                    Some(max) => max_points[id] = max,
                    None => self.push(id, FrameworkProblem::LeafWithoutMaxPoints),
                }
            } else {
                let sum: Points = children[id].iter().map(|&c| max_points[c]).sum();
                if let Some(stated) = spec.max_points
                    && stated != sum
                    && !children[id]
                        .iter()
                        .any(|&c| specs[c].max_points.is_none() && children[c].is_empty())
                {
                    self.push(
                        id,
                        FrameworkProblem::SumMismatch {
                            stated,
                            children: sum,
                        },
                    );
                }
                max_points[id] = spec.max_points.unwrap_or(sum);
            }
        }
        max_points
    }

    /// Rules: on leaves only, a survey rule on a survey leaf, each fitting its leaf.
    fn rules(&mut self, shape: &Shape) {
        for &id in &shape.top_down {
            let Some(rule) = &self.specs[id].rule else {
                continue;
            };
            if !shape.children[id].is_empty() {
                self.push(id, FrameworkProblem::RuleOnInnerNode);
                continue;
            }
            if matches!(rule, Rule::Survey { .. }) && shape.method[id] != Method::Survey {
                self.push(id, FrameworkProblem::SurveyRuleOnNonSurveyLeaf);
            }
            for problem in rule.problems(shape.max_points[id]) {
                self.push(id, FrameworkProblem::BadRule { problem });
            }
        }
    }

    /// Every check of every row, in order; the shape of the tree they find.
    fn check(&mut self) -> Shape {
        let (by_code, mut usable) = self.codes();
        let (parent, children) = self.links(&by_code, &mut usable);
        let top_down = depth_first(&usable, &parent, &children);
        let (method, depth) = self.methods(&top_down, &parent);
        let max_points = self.max_points(&top_down, &children);
        let shape = Shape {
            by_code,
            parent,
            children,
            top_down,
            method,
            depth,
            max_points,
        };
        self.rules(&shape);
        if !shape
            .top_down
            .iter()
            .any(|&id| shape.parent[id].is_none() && !shape.method[id].is_outside_tree())
            && self.errors.is_empty()
        {
            self.errors.push(FrameworkError {
                row: self.specs.first().map(|s| s.row).unwrap_or(1),
                code: String::new(),
                problem: FrameworkProblem::NoTree,
            });
        }
        shape
    }
}

/// Depth-first order from the roots; nodes cut off by a missing parent are skipped.
fn depth_first(
    usable: &[bool],
    parent: &[Option<NodeId>],
    children: &[Vec<NodeId>],
) -> Vec<NodeId> {
    let roots: Vec<NodeId> = (0..usable.len())
        .filter(|&id| usable[id] && parent[id].is_none())
        .collect();
    let mut top_down = Vec::with_capacity(usable.len());
    let mut stack: Vec<NodeId> = roots.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        top_down.push(id);
        stack.extend(children[id].iter().rev());
    }
    top_down
}

/// A checked row as a node of the tree.
fn node_of(id: NodeId, spec: NodeSpec, shape: &Shape) -> Node {
    Node {
        max_points_stated: spec.max_points.is_some(),
        method_stated: spec.method.is_some(),
        // Surrounding spaces are never meaningful in a title; trimming them here makes
        // every file format read back the same tree.
        code: spec.code,
        title: spec.title.trim().to_string(),
        title_en: spec
            .title_en
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        max_points: shape.max_points[id],
        method: shape.method[id],
        guidance: spec
            .guidance
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        evidence_required: spec.evidence_required,
        rule: spec.rule,
        continues: spec.continues,
        impact_stated: spec.impact,
        impact: spec.impact,
        parent: shape.parent[id],
        children: shape.children[id].clone(),
        depth: shape.depth[id],
    }
}

impl Framework {
    /// Builds and checks a framework. Every problem of every row is reported, sorted by row;
    /// a framework with any problem is not built (docs/formats.md §1: "nothing is imported when
    /// any row is wrong").
    pub fn build(
        meta: FrameworkMeta,
        specs: Vec<NodeSpec>,
    ) -> Result<Framework, Vec<FrameworkError>> {
        let mut problems = Problems {
            specs: &specs,
            errors: Vec::new(),
        };
        let shape = problems.check();
        let mut errors = problems.errors;
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            return Err(errors);
        }
        // Without errors every node is reachable from a root, so ids stay source positions.
        let mut nodes: Vec<Node> = specs
            .into_iter()
            .enumerate()
            .map(|(id, spec)| node_of(id, spec, &shape))
            .collect();
        for &id in &shape.top_down {
            let inherited = nodes[id].parent.is_some_and(|p| nodes[p].impact);
            nodes[id].impact = nodes[id].impact_stated || inherited;
        }
        let bottom_up: Vec<NodeId> = shape.top_down.iter().rev().copied().collect();
        let leaves: Vec<NodeId> = shape
            .top_down
            .iter()
            .copied()
            .filter(|&id| nodes[id].is_leaf())
            .collect();
        let areas: Vec<NodeId> = (0..nodes.len())
            .filter(|&id| nodes[id].parent.is_none() && !nodes[id].method.is_outside_tree())
            .collect();
        let outside_tree: Vec<NodeId> = (0..nodes.len())
            .filter(|&id| nodes[id].parent.is_none() && nodes[id].method.is_outside_tree())
            .collect();
        let max_points = areas.iter().map(|&id| nodes[id].max_points).sum();
        Ok(Framework {
            meta,
            nodes,
            by_code: shape.by_code,
            bottom_up,
            leaves,
            areas,
            outside_tree,
            max_points,
        })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn find(&self, code: &str) -> Option<NodeId> {
        self.by_code.get(code).copied()
    }

    /// Every leaf that takes points, bonus and penalty leaves included, in tree order.
    pub fn leaves(&self) -> &[NodeId] {
        &self.leaves
    }

    /// Top-level nodes of the tree: the areas (lĩnh vực). Bonus and penalty are not areas.
    pub fn areas(&self) -> &[NodeId] {
        &self.areas
    }

    /// Top-level bonus and penalty nodes.
    pub fn outside_tree(&self) -> &[NodeId] {
        &self.outside_tree
    }

    /// The tree's total, bonus and penalty excluded (docs/formats.md §4).
    pub fn max_points(&self) -> Points {
        self.max_points
    }

    /// Node ids with every child before its parent.
    pub fn bottom_up(&self) -> &[NodeId] {
        &self.bottom_up
    }

    /// Node ids with every parent before its children, in tree order.
    pub fn top_down(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.bottom_up.iter().rev().copied()
    }

    /// The area a node belongs to (the node itself for an area); `None` for bonus and penalty.
    pub fn area_of(&self, mut id: NodeId) -> Option<NodeId> {
        while let Some(parent) = self.nodes[id].parent {
            id = parent;
        }
        (!self.nodes[id].method.is_outside_tree()).then_some(id)
    }

    /// Rows that rebuild this framework (for export); `row` numbers assume a header row.
    pub fn to_specs(&self) -> Vec<NodeSpec> {
        self.top_down()
            .enumerate()
            .map(|(position, id)| {
                let node = &self.nodes[id];
                NodeSpec {
                    row: position + 2,
                    code: node.code.clone(),
                    title: node.title.clone(),
                    title_en: node.title_en.clone(),
                    max_points: Some(node.max_points),
                    method: Some(node.method),
                    guidance: node.guidance.clone(),
                    evidence_required: node.evidence_required,
                    rule: node.rule.clone(),
                    continues: node.continues.clone(),
                    impact: node.impact_stated,
                }
            })
            .collect()
    }

    /// Rows as a source file would state them: `max_points` on leaves and where an inner node
    /// stated it, `method` where stated (and on top-level nodes that are not `self`). Storing
    /// these rebuilds exactly this framework, stated-ness included.
    pub fn to_source_specs(&self) -> Vec<NodeSpec> {
        self.top_down()
            .enumerate()
            .map(|(position, id)| {
                let node = &self.nodes[id];
                NodeSpec {
                    row: position + 2,
                    code: node.code.clone(),
                    title: node.title.clone(),
                    title_en: node.title_en.clone(),
                    max_points: (node.is_leaf() || node.max_points_stated)
                        .then_some(node.max_points),
                    method: (node.method_stated
                        || (node.parent.is_none() && node.method != Method::SelfAssessed))
                        .then_some(node.method),
                    guidance: node.guidance.clone(),
                    evidence_required: node.evidence_required,
                    rule: node.rule.clone(),
                    continues: node.continues.clone(),
                    impact: node.impact_stated,
                }
            })
            .collect()
    }

    /// The full title to show, with the sample label where the framework is a sample.
    pub fn display_title(&self) -> String {
        if self.meta.sample && !self.meta.title.contains(SAMPLE_LABEL) {
            format!("{} ({SAMPLE_LABEL})", self.meta.title)
        } else {
            self.meta.title.clone()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn spec(row: usize, code: &str, max: Option<&str>, method: Option<Method>) -> NodeSpec {
        NodeSpec {
            row,
            code: code.to_string(),
            title: format!("Node {code}"),
            max_points: max.map(|m| m.parse().unwrap()),
            method,
            ..NodeSpec::default()
        }
    }

    /// The tree of shared/docs/examples/compute/framework.csv.
    pub fn example() -> Framework {
        let rows = [
            ("1", Some("20"), None),
            ("1.1", Some("8"), Some(Method::SelfAssessed)),
            ("1.2", Some("4.5"), None),
            ("1.3", Some("7.5"), None),
            ("2", None, None),
            ("2.1", Some("12"), None),
            ("2.2", Some("33"), None),
            ("2.2.1", Some("15"), None),
            ("2.2.2", Some("18"), None),
            ("3", Some("35"), None),
            ("3.1", Some("20"), Some(Method::Survey)),
            ("3.2", Some("15"), None),
            ("4", Some("2"), Some(Method::Bonus)),
            ("5", Some("3"), Some(Method::Penalty)),
        ];
        let specs = rows
            .iter()
            .enumerate()
            .map(|(i, (code, max, method))| spec(i + 2, code, *max, *method))
            .collect();
        Framework::build(FrameworkMeta::default(), specs).unwrap()
    }

    fn problems(specs: Vec<NodeSpec>) -> Vec<String> {
        Framework::build(FrameworkMeta::default(), specs)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn builds_the_example_tree() {
        let f = example();
        assert_eq!(f.max_points(), Points::whole(100));
        assert_eq!(f.leaves().len(), 10);
        let areas: Vec<&str> = f.areas().iter().map(|&a| f.node(a).code.as_str()).collect();
        assert_eq!(areas, ["1", "2", "3"]);
        let area2 = f.find("2").unwrap();
        assert_eq!(f.node(area2).max_points, Points::whole(45));
        assert!(!f.node(area2).max_points_stated);
        assert_eq!(f.node(f.find("2.2.1").unwrap()).depth, 3);
        assert_eq!(f.node(f.find("3.1").unwrap()).method, Method::Survey);
        assert_eq!(f.area_of(f.find("2.2.2").unwrap()), Some(area2));
        assert_eq!(f.area_of(f.find("4").unwrap()), None);
    }

    #[test]
    fn reports_every_problem_with_row_and_code() {
        let specs = vec![
            spec(2, "1", Some("10"), None),
            spec(3, "1.1", Some("4"), None),
            spec(4, "1.1", Some("4"), None),
            spec(5, "1.2", None, None),
            spec(6, "2.1", Some("3"), None),
            spec(7, "3", Some("-1"), None),
            spec(8, "x..y", Some("1"), None),
        ];
        assert_eq!(
            problems(specs),
            [
                "row 4 (code 1.1): duplicate code (first at row 3)",
                "row 5 (code 1.2): leaf without max_points",
                "row 6 (code 2.1): missing parent: no row has code 2",
                "row 7 (code 3): negative points: max_points -1 is below 0",
                "row 8 (code x..y): code is not a dotted code (letters or digits separated by dots, e.g. 1.2.3)",
            ]
        );
    }

    #[test]
    fn a_stated_inner_max_must_equal_the_childrens_sum() {
        let specs = vec![
            spec(2, "1", Some("10"), None),
            spec(3, "1.1", Some("4"), None),
            spec(4, "1.2", Some("5.5"), None),
        ];
        assert_eq!(
            problems(specs),
            ["row 2 (code 1): sum mismatch: max_points 10 but the children sum to 9.5"]
        );
    }

    #[test]
    fn parents_may_come_after_children() {
        let specs = vec![spec(2, "1.1", Some("4"), None), spec(3, "1", None, None)];
        let f = Framework::build(FrameworkMeta::default(), specs).unwrap();
        assert_eq!(f.max_points(), Points::whole(4));
    }

    #[test]
    fn bonus_and_penalty_stay_at_the_top() {
        let specs = vec![
            spec(2, "1", None, None),
            spec(3, "1.1", Some("4"), Some(Method::Bonus)),
            spec(4, "2", Some("2"), Some(Method::Penalty)),
            spec(5, "2.1", Some("2"), Some(Method::SelfAssessed)),
        ];
        let errors = problems(specs);
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0]
                .starts_with("row 3 (code 1.1): method bonus is not allowed under a self node")
        );
        assert!(
            errors[1]
                .starts_with("row 5 (code 2.1): method self is not allowed under a penalty node")
        );
    }

    #[test]
    fn children_inherit_the_parents_method() {
        let specs = vec![
            spec(2, "1", Some("1"), None),
            spec(3, "1.1", Some("1"), None),
            spec(4, "9", Some("3"), Some(Method::Bonus)),
            spec(5, "9.1", Some("1"), None),
            spec(6, "9.2", Some("2"), None),
        ];
        let f = Framework::build(FrameworkMeta::default(), specs).unwrap();
        assert_eq!(f.node(f.find("9.2").unwrap()).method, Method::Bonus);
        assert_eq!(f.max_points(), Points::whole(1));
        assert_eq!(f.leaves().len(), 3);
    }

    #[test]
    fn only_bonus_and_penalty_is_not_a_framework() {
        let errors = problems(vec![spec(2, "4", Some("2"), Some(Method::Bonus))]);
        assert_eq!(
            errors,
            ["row 2: the framework has no scored node outside bonus and penalty"]
        );
    }

    #[test]
    fn rules_are_checked() {
        let mut bad = spec(3, "1.1", Some("1"), None);
        bad.rule = Some(Rule::Survey {
            source: "sipas".into(),
        });
        let mut inner = spec(2, "1", Some("1"), None);
        inner.rule = Some(Rule::Levels {
            levels: vec![Points::ZERO, Points::whole(1)],
        });
        let errors = problems(vec![inner, bad]);
        assert_eq!(
            errors,
            [
                "row 2 (code 1): a scoring rule is only allowed on a leaf",
                "row 3 (code 1.1): a survey rule needs method survey",
            ]
        );
    }
}
