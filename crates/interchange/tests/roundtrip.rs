//! Round trips through the interchange formats ("framework export then import
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

mod hostile_text {
    use chiso_domain::FrameworkMeta;
    use chiso_interchange::csv_out::{CsvWriter, LineEnd, neutralise};
    use chiso_interchange::framework_io::{framework_from_table, framework_to_csv};
    use chiso_interchange::hostile::{CONTROL_TEXTS, FORMULAS};
    use chiso_interchange::table::read_csv;
    use proptest::prelude::*;

    /// Titles that are formulas (and a text that already starts with a quote) go out
    /// neutralised and come back exactly.
    #[test]
    fn a_framework_with_formula_titles_round_trips_through_csv() {
        let titles: Vec<String> = FORMULAS
            .iter()
            .map(|f| f.replace(['\t', '\r'], " ").trim().to_string())
            .chain(["'=quoted".to_string(), "-1.5".to_string()])
            .collect();
        let mut text = String::from("code,title,max_points,method\n1,Khu vực,10,self\n");
        for (i, title) in titles.iter().enumerate() {
            let cell = title.replace('"', "\"\"");
            text.push_str(&format!("1.{},\"{cell}\",1,\n", i + 1));
        }
        text = text.replace("1,Khu vực,10,", &format!("1,Khu vực,{},", titles.len()));
        let framework = framework_from_table(
            &read_csv("f.csv", text.as_bytes()).unwrap(),
            FrameworkMeta::default(),
        )
        .unwrap();
        let exported = framework_to_csv(&framework);
        // What was read: the reader took the quote off "'=quoted" as off any neutralised cell.
        let read: Vec<String> = framework.to_specs().into_iter().map(|s| s.title).collect();
        assert!(read.contains(&"=quoted".to_string()), "{read:?}");
        for title in &read {
            let written = neutralise(title);
            assert!(
                exported.contains(&*written.replace('"', "\"\"")),
                "{title}: {exported}"
            );
            if title.starts_with(['=', '+', '@']) {
                assert!(written.starts_with('\''), "{title}");
            }
        }
        let again = framework_from_table(
            &read_csv("f.csv", exported.as_bytes()).unwrap(),
            FrameworkMeta::default(),
        )
        .unwrap();
        assert_eq!(again.to_specs(), framework.to_specs());
        assert_eq!(framework_to_csv(&again), exported);
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[=+@'\\-\\t\\r]{0,3}[a-zA-Zà-ỹ0-9 ,\"\\n.]{0,8}",
            proptest::sample::select(
                FORMULAS
                    .iter()
                    .chain(CONTROL_TEXTS)
                    .copied()
                    .collect::<Vec<_>>()
            )
            .prop_map(String::from),
            "-?[0-9]{1,4}(\\.[0-9]{1,3})?",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Whatever the cells, what the writer writes the table reader reads back as it was
        /// (a first cell of the header loses a leading BOM, a trailing blank row is skipped:
        /// neither is generated here).
        #[test]
        fn the_csv_writer_and_the_table_reader_round_trip(
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 1..5), 2..6)
        ) {
            let mut rows = rows;
            rows[0][0] = format!("h{}", rows[0][0]);
            for row in rows.iter_mut().skip(1) {
                row.push("x".to_string());
            }
            let mut writer = CsvWriter::new(Vec::new(), LineEnd::CrLf);
            for row in &rows {
                writer.row(row).unwrap();
            }
            let bytes = writer.into_inner().unwrap();
            let table = read_csv("t.csv", bytes.as_slice()).unwrap();
            prop_assert_eq!(&table.headers, &rows[0]);
            prop_assert_eq!(table.rows.len(), rows.len() - 1);
            for (read, written) in table.rows.iter().zip(&rows[1..]) {
                let cells: Vec<&str> = read.cells().collect();
                prop_assert_eq!(cells, written.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
}
