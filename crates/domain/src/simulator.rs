//! What if: a unit's index, rank and classification after some of its leaves change, the other
//! units as they stand (docs/method.md §7.2). Pure computation: nothing is stored.

use crate::classification::Bands;
use crate::compute::ScoreError;
use crate::evaluation::{UnitInput, UnitOutcome, evaluate};
use crate::framework::{Framework, Method, NodeId};
use crate::points::Points;
use crate::weakness::LeafLoss;

/// New points for one leaf of the unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    pub leaf: NodeId,
    pub points: Points,
}

impl Change {
    /// The change that recovers a loss: full marks, or no penalty.
    pub fn recovering(framework: &Framework, loss: &LeafLoss) -> Change {
        let points = match framework.node(loss.leaf).method {
            Method::Penalty => Points::ZERO,
            _ => loss.max_points,
        };
        Change {
            leaf: loss.leaf,
            points,
        }
    }
}

/// Why a simulation cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimulationError {
    #[error("unit {0} is not among the units evaluated")]
    UnknownUnit(String),
    /// A change the leaf's rules refuse (outside [0, max], not one of its levels, not a leaf).
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// The unit's outcome once `changes` are applied to its sheet, ranked among the others of
/// `inputs` as they are.
pub fn simulate(
    framework: &Framework,
    inputs: &[UnitInput],
    bands: &Bands,
    unit: &str,
    changes: &[Change],
) -> Result<UnitOutcome, SimulationError> {
    let mut changed = inputs.to_vec();
    let target = changed
        .iter_mut()
        .find(|u| u.code == unit)
        .ok_or_else(|| SimulationError::UnknownUnit(unit.to_string()))?;
    for change in changes {
        target
            .sheet
            .replace(framework, change.leaf, change.points)?;
    }
    let evaluation = evaluate(framework, changed, bands);
    Ok(evaluation
        .find(unit)
        .cloned()
        .expect("the unit was evaluated"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::tests::example_inputs;
    use crate::framework::tests::example;

    #[test]
    fn a_change_moves_the_unit_and_nothing_else() {
        let f = example();
        let inputs = example_inputs(&f);
        let before = evaluate(&f, inputs.clone(), &Bands::default());
        let unit = before.units.last().unwrap().code.clone();
        let leaf = f.find("3.2").unwrap();
        let full = Change {
            leaf,
            points: f.node(leaf).max_points,
        };
        let after = simulate(&f, &inputs, &Bands::default(), &unit, &[full]).unwrap();
        let was = before.find(&unit).unwrap();
        assert!(after.points.points > was.points.points);
        assert!(after.rank <= was.rank);
        // The inputs themselves are untouched: simulating nothing gives the unit back.
        let same = simulate(&f, &inputs, &Bands::default(), &unit, &[]).unwrap();
        assert_eq!(&same, was);
        // A change the leaf refuses is refused, naming why.
        let too_much = Change {
            leaf,
            points: f.node(leaf).max_points + Points::from_ten_thousandths(1),
        };
        assert!(matches!(
            simulate(&f, &inputs, &Bands::default(), &unit, &[too_much]),
            Err(SimulationError::Score(_))
        ));
        assert_eq!(
            simulate(&f, &inputs, &Bands::default(), "nope", &[]),
            Err(SimulationError::UnknownUnit("nope".into()))
        );
    }
}
