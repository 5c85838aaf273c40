//! Round trips through the interchange formats (issue 2 §6: "framework export then import
//! round-trips"; "shuffling the input rows changes nothing").

use chiso_domain::testing::{arb_evaluation_input, arb_framework};
use chiso_domain::{Bands, FrameworkMeta, evaluate};
use chiso_interchange::framework_io::{
    framework_from_table, framework_from_toml, framework_to_csv, framework_to_toml,
    framework_to_xlsx,
};
use chiso_interchange::table::{read_csv, read_xlsx};
use chiso_interchange::units_io::read_scores;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn framework_export_then_import_round_trips(framework in arb_framework()) {
        let csv = framework_to_csv(&framework);
        let from_csv = framework_from_table(&read_csv("f.csv", csv.as_bytes()).unwrap(), FrameworkMeta::default()).unwrap();
        prop_assert_eq!(from_csv.to_specs(), framework.to_specs());

        let xlsx = framework_to_xlsx(&framework).unwrap();
        let from_xlsx = framework_from_table(&read_xlsx("f.xlsx", &xlsx).unwrap(), FrameworkMeta::default()).unwrap();
        prop_assert_eq!(from_xlsx.to_specs(), framework.to_specs());

        let toml = framework_to_toml(&framework);
        let from_toml = framework_from_toml("f.toml", &toml).unwrap();
        prop_assert_eq!(&from_toml.to_specs(), &framework.to_specs());
        prop_assert_eq!(&from_toml.meta, &framework.meta);
    }

    /// scores.csv rows in any order give the same results.
    #[test]
    fn shuffled_score_rows_give_the_same_results(((framework, units), seed) in (arb_evaluation_input(), any::<u64>())) {
        let mut rows = Vec::new();
        for unit in &units {
            for &leaf in framework.leaves() {
                if let Some(points) = unit.sheet.get(leaf) {
                    rows.push(format!("{},{},{}", unit.code, framework.node(leaf).code, points));
                }
            }
        }
        let as_csv = |rows: &[String]| format!("unit_code,code,points\n{}\n", rows.join("\n"));
        let evaluate_rows = |rows: &[String]| {
            let table = read_csv("scores.csv", as_csv(rows).as_bytes()).unwrap();
            let input = read_scores(&table, &framework, None).unwrap();
            let mut evaluation = evaluate(&framework, input.units, &Bands::default());
            // Groups are not part of scores.csv.
            for unit in &mut evaluation.units {
                unit.group = None;
                unit.group_rank = None;
            }
            evaluation
        };
        prop_assume!(!rows.is_empty());
        let reference = evaluate_rows(&rows);
        let mut state = seed | 1;
        for i in (1..rows.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            rows.swap(i, (state >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(evaluate_rows(&rows), reference);
    }
}
