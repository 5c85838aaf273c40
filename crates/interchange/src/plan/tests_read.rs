//! The appendix read from workbooks built here as provinces write them, and read back after
//! [`write_appendix`].

use chiso_domain::plan::{Deadline, DeadlineError, TaskStatus};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::*;
use crate::sheet::{SheetError, column_letters};

use AppendixColumn as C;

/// A cell of the fixture.
#[derive(Clone, Copy)]
enum Cell {
    Text(&'static str),
    Number(f64),
    /// A number shown as a date (an Excel date).
    Date(f64),
}

/// The fixture's rows below the header, from row 9: (row, cells by column).
fn body() -> Vec<(u32, Vec<(AppendixColumn, Cell)>)> {
    use Cell::*;
    vec![
        // A group by its task cell alone, numeral written in it.
        (
            9,
            vec![(C::Task, Text("I. NHÓM GIẢI PHÁP NÂNG CAO CHỈ SỐ PAPI"))],
        ),
        (
            10,
            vec![
                (C::Stt, Number(1.0)),
                (
                    C::Task,
                    Text("Công khai, minh bạch\nthông tin quy hoạch, kế hoạch"),
                ),
                (C::Criteria, Text("PAPI 3; PAPI 6")),
                (C::Lead, Text("Sở Nội vụ")),
                (
                    C::Coordinators,
                    Text("Sở Tài chính\nSở Tư pháp\nCác sở, ban, ngành"),
                ),
                (C::Deadline, Text("Trước ngày 20/12 hằng năm")),
                (C::Product, Text("Báo cáo kết quả")),
                (C::Status, Text("Đang thực hiện")),
            ],
        ),
        // Row 11 blank.
        (
            12,
            vec![
                (C::Stt, Number(2.0)),
                (C::Task, Text("Tổ chức đối thoại với người dân")),
                (C::Criteria, Text("1.1, 1.2")),
                (C::Lead, Text("Văn phòng UBND tỉnh")),
                (
                    C::Coordinators,
                    Text("Sở Thông tin và Truyền thông; UBND các huyện, thị xã, thành phố"),
                ),
                (C::Deadline, Text("Thường xuyên")),
                (C::Note, Text("Hằng quý báo cáo")),
            ],
        ),
        // A group by its Roman numeral.
        (
            13,
            vec![
                (C::Stt, Text("II")),
                (C::Task, Text("Nhóm giải pháp nâng cao Chỉ số SIPAS")),
            ],
        ),
        (
            14,
            vec![
                (C::Stt, Number(3.0)),
                (C::Task, Text("Khảo sát sự hài lòng")),
                (C::Lead, Text("Sở Nội vụ")),
                (C::Deadline, Text("30/6/2027")),
                (C::Status, Text("Đã hoàn thành")),
            ],
        ),
        (
            15,
            vec![
                (C::Stt, Number(4.0)),
                (C::Task, Text("Số hóa hồ sơ")),
                (C::Lead, Text("Sở Nội vụ")),
                (C::Deadline, Text("Quý III/2027")),
                (C::Status, Text("Sắp xong")),
            ],
        ),
        (
            16,
            vec![
                (C::Stt, Number(5.0)),
                (C::Task, Text("Rà soát thủ tục")),
                (C::Deadline, Date(46_568.0)),
                (C::Status, Text("huỷ")),
            ],
        ),
        // Rows 17–18 blank; the footer, then what follows it.
        (
            19,
            vec![(C::Stt, Text("Nơi nhận:\n- Như trên;\n- Lưu: VT."))],
        ),
        (20, vec![(C::Task, Text("Ghi chú cuối trang"))]),
    ]
}

/// Writes the fixture with the columns in `order` and the header written by `head`, which
/// leaves row 9 (1-based) for the first row of the body. Columns not in `order` are dropped.
fn fixture(order: &[AppendixColumn], head: impl Fn(&mut Worksheet, &dyn Fn(C) -> u16)) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("PL1").unwrap();
    let at = |column: C| order.iter().position(|c| *c == column).unwrap() as u16;
    head(sheet, &at);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (row, cells) in body() {
        for (column, cell) in cells {
            let Some(col) = order.iter().position(|c| *c == column) else {
                continue;
            };
            let (r, c) = (row - 1, col as u16);
            match cell {
                Cell::Text(text) => sheet.write_string(r, c, text).map(|_| ()),
                Cell::Number(n) => sheet.write_number(r, c, n).map(|_| ()),
                Cell::Date(n) => sheet.write_number_with_format(r, c, n, &date).map(|_| ()),
            }
            .unwrap();
        }
    }
    // A signature beside the footer's first row.
    sheet
        .write_string(18, order.len() as u16 - 2, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH")
        .unwrap();
    book.save_to_buffer().unwrap()
}

const STANDARD: [AppendixColumn; 9] = [
    C::Stt,
    C::Task,
    C::Criteria,
    C::Lead,
    C::Coordinators,
    C::Deadline,
    C::Product,
    C::Status,
    C::Note,
];

/// Quảng Bình's layout: a title block, a two-row header with "Cơ quan thực hiện" merged over
/// "Chủ trì" | "Phối hợp" and the other headers merged down, a row of column numbers.
fn quang_binh() -> Vec<u8> {
    fixture(&STANDARD, |sheet, at| {
        let bold = Format::new().set_bold();
        sheet.write_string(0, 0, "UBND TỈNH QUẢNG BÌNH").unwrap();
        sheet.merge_range(1, 0, 1, 8, "PHỤ LỤC", &bold).unwrap();
        let title = "NHIỆM VỤ, GIẢI PHÁP NÂNG CAO CHỈ SỐ CCHC, SIPAS, PAPI";
        sheet.merge_range(2, 0, 2, 8, title, &bold).unwrap();
        let document = "(Kèm theo Kế hoạch số 1886/KH-UBND ngày 10/9/2021 của UBND tỉnh)";
        sheet.merge_range(3, 0, 3, 8, document, &bold).unwrap();
        for (column, text) in [
            (C::Stt, "STT"),
            (C::Task, "Nhiệm vụ, giải pháp"),
            (C::Criteria, "Tiêu chí liên quan"),
            (C::Deadline, "Thời gian hoàn thành"),
            (C::Product, "Sản phẩm"),
            (C::Status, "Tình trạng"),
            (C::Note, "Ghi chú"),
        ] {
            sheet
                .merge_range(5, at(column), 6, at(column), text, &bold)
                .unwrap();
        }
        let (lead, coordinators) = (at(C::Lead), at(C::Coordinators));
        sheet
            .merge_range(5, lead, 5, coordinators, "Cơ quan thực hiện", &bold)
            .unwrap();
        sheet.write_string(6, lead, "Chủ trì").unwrap();
        sheet.write_string(6, coordinators, "Phối hợp").unwrap();
        for col in 0..9u16 {
            sheet
                .write_string(7, col, format!("({})", col + 1))
                .unwrap();
        }
    })
}

fn yearly() -> Option<Deadline> {
    Some(Deadline::Yearly { day: 20, month: 12 })
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The rows every layout of the fixture reads to.
fn expected_rows() -> Vec<AppendixRow> {
    let task = |row: u32, stt: &str, group: usize, title: &str, lead: &str| AppendixRow {
        row,
        stt: stt.to_string(),
        group: Some(group),
        title: title.to_string(),
        criteria: Vec::new(),
        lead: lead.to_string(),
        coordinators: Vec::new(),
        deadline_text: String::new(),
        deadline: None,
        product: String::new(),
        status: None,
        note: String::new(),
    };
    let on = |code: &str| Deadline::from_code(code);
    vec![
        AppendixRow {
            criteria: strings(&["PAPI 3", "PAPI 6"]),
            coordinators: strings(&["Sở Tài chính", "Sở Tư pháp", "Các sở, ban, ngành"]),
            deadline_text: "Trước ngày 20/12 hằng năm".into(),
            deadline: yearly(),
            product: "Báo cáo kết quả".into(),
            status: Some(TaskStatus::InProgress),
            ..task(
                10,
                "1",
                0,
                "Công khai, minh bạch\nthông tin quy hoạch, kế hoạch",
                "Sở Nội vụ",
            )
        },
        AppendixRow {
            criteria: strings(&["1.1", "1.2"]),
            coordinators: strings(&[
                "Sở Thông tin và Truyền thông",
                "UBND các huyện, thị xã, thành phố",
            ]),
            deadline_text: "Thường xuyên".into(),
            deadline: Some(Deadline::Ongoing),
            note: "Hằng quý báo cáo".into(),
            ..task(
                12,
                "2",
                0,
                "Tổ chức đối thoại với người dân",
                "Văn phòng UBND tỉnh",
            )
        },
        AppendixRow {
            deadline_text: "30/6/2027".into(),
            deadline: on("2027-06-30"),
            status: Some(TaskStatus::Done),
            ..task(14, "3", 1, "Khảo sát sự hài lòng", "Sở Nội vụ")
        },
        AppendixRow {
            deadline_text: "Quý III/2027".into(),
            ..task(15, "4", 1, "Số hóa hồ sơ", "Sở Nội vụ")
        },
        AppendixRow {
            deadline_text: "30/06/2027".into(),
            deadline: on("2027-06-30"),
            status: Some(TaskStatus::Cancelled),
            ..task(16, "5", 1, "Rà soát thủ tục", "")
        },
    ]
}

/// The problems, by column rather than letter.
fn expected_problems() -> Vec<(u32, AppendixColumn, ProblemKind)> {
    vec![
        (
            15,
            C::Deadline,
            ProblemKind::Deadline(DeadlineError::Unrecognized {
                text: "Quý III/2027".into(),
            }),
        ),
        (15, C::Status, ProblemKind::Status("Sắp xong".into())),
        (16, C::Lead, ProblemKind::MissingLead),
    ]
}

fn problems_by_column(
    appendix: &Appendix,
    order: &[AppendixColumn],
) -> Vec<(u32, AppendixColumn, ProblemKind)> {
    appendix
        .problems
        .iter()
        .map(|p| {
            let at = (0..order.len() as u32)
                .find(|c| column_letters(*c) == p.column)
                .unwrap();
            (p.row, order[at as usize], p.kind.clone())
        })
        .collect()
}

#[test]
fn plan_appendix_with_a_title_block_a_merged_two_row_header_groups_and_a_footer() {
    let appendix = read_appendix(&quang_binh()).unwrap();
    assert_eq!(appendix.sheet, "PL1");
    assert_eq!(
        appendix.groups,
        strings(&[
            "NHÓM GIẢI PHÁP NÂNG CAO CHỈ SỐ PAPI",
            "Nhóm giải pháp nâng cao Chỉ số SIPAS"
        ])
    );
    assert_eq!(appendix.rows, expected_rows());
    // Named by sheet row and column letter: F is the deadline, H the status, D the lead.
    let letters: Vec<(u32, &str)> = appendix
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(letters, [(15, "F"), (15, "H"), (16, "D")]);
    assert_eq!(
        problems_by_column(&appendix, &STANDARD),
        expected_problems()
    );
    assert_eq!(
        appendix.problems[0].to_string(),
        "row 15, column F: 'Quý III/2027' is neither a date, a recurring rule nor 'thường xuyên'"
    );
}

#[test]
fn plan_headers_in_another_order_and_wording_read_alike() {
    let order = [
        C::Task,
        C::Stt,
        C::Deadline,
        C::Lead,
        C::Status,
        C::Coordinators,
        C::Criteria,
        C::Note,
        C::Product,
    ];
    let bytes = fixture(&order, |sheet, at| {
        sheet
            .write_string(0, 0, "VĂN PHÒNG UBND TỈNH LẠNG SƠN")
            .unwrap();
        sheet.write_string(1, 0, "Số: 17/KH-VP").unwrap();
        sheet.write_string(3, 2, "PHỤ LỤC KẾ HOẠCH").unwrap();
        for (column, text) in [
            (C::Task, "NHIEM VU"),
            (C::Stt, "Số TT"),
            (C::Deadline, "thời  gian thực hiện"),
            (C::Lead, "ĐƠN VỊ CHỦ TRÌ"),
            (C::Status, "Trạng thái"),
            (C::Coordinators, "Đơn vị phối hợp:"),
            (C::Criteria, "Chỉ số, tiêu chí liên quan"),
            (C::Note, "GHI CHÚ"),
            (C::Product, "Sản phẩm dự kiến"),
        ] {
            sheet.write_string(7, at(column), text).unwrap();
        }
    });
    let appendix = read_appendix(&bytes).unwrap();
    let expected = read_appendix(&quang_binh()).unwrap();
    assert_eq!(appendix.groups, expected.groups);
    assert_eq!(appendix.rows, expected.rows);
    assert_eq!(problems_by_column(&appendix, &order), expected_problems());
}

#[test]
fn plan_appendix_without_a_lead_column_names_it() {
    let order = [C::Stt, C::Task, C::Coordinators, C::Deadline, C::Product];
    let bytes = fixture(&order, |sheet, _| {
        for (col, text) in ["TT", "Nội dung", "Phối hợp", "Thời hạn", "Kết quả"]
            .iter()
            .enumerate()
        {
            sheet.write_string(7, col as u16, *text).unwrap();
        }
    });
    assert_eq!(
        read_appendix(&bytes),
        Err(AppendixError::MissingColumn { column: C::Lead })
    );
    assert_eq!(
        AppendixError::MissingColumn { column: C::Lead }.to_string(),
        "the appendix has no column 'Cơ quan chủ trì'"
    );
}

#[test]
fn plan_hostile_or_headerless_files_are_errors_not_panics() {
    assert!(matches!(
        read_appendix(b"not a zip"),
        Err(AppendixError::Sheet(SheetError::NotXlsx { .. }))
    ));
    assert!(matches!(read_appendix(b""), Err(AppendixError::Sheet(_))));
    assert!(matches!(
        read_appendix(&crate::hostile::dense_range_xlsx(&["STT"])),
        Err(AppendixError::Sheet(_))
    ));
    let empty = Workbook::new().save_to_buffer().unwrap();
    assert_eq!(read_appendix(&empty), Err(AppendixError::NoHeader));
    let mut book = Workbook::new();
    book.add_worksheet()
        .write_string(0, 0, "NHIỆM VỤ, GIẢI PHÁP")
        .unwrap();
    let title_only = book.save_to_buffer().unwrap();
    assert_eq!(read_appendix(&title_only), Err(AppendixError::NoHeader));
}

#[test]
fn plan_appendix_round_trips_through_the_writer() {
    let task = |title: &str, lead: &str, deadline: &str| AppendixTask {
        title: title.to_string(),
        lead: lead.to_string(),
        deadline: deadline.to_string(),
        ..AppendixTask::default()
    };
    let doc = AppendixDoc {
        authority: "UBND tỉnh Quảng Bình".into(),
        title: "PHỤ LỤC: NHIỆM VỤ, GIẢI PHÁP NÂNG CAO CHỈ SỐ CCHC, SIPAS, PAPI".into(),
        document: "(Kèm theo Kế hoạch số 1886/KH-UBND ngày 10/09/2021 của UBND tỉnh Quảng Bình)"
            .into(),
        groups: vec![
            AppendixGroup {
                title: "NHÓM GIẢI PHÁP NÂNG CAO CHỈ SỐ PAR INDEX".into(),
                tasks: vec![
                    AppendixTask {
                        criteria: strings(&["1.1", "2.3"]),
                        coordinators: strings(&[
                            "Sở Tài chính",
                            "Sở Tư pháp",
                            "Các sở, ban, ngành",
                        ]),
                        product: "Kế hoạch\nBáo cáo".into(),
                        status: Some(TaskStatus::AwaitingAcceptance),
                        ..task(
                            "Ban hành kế hoạch CCHC năm\nvà kiểm tra việc thực hiện",
                            "Sở Nội vụ",
                            "Trước ngày 20/12 hằng năm",
                        )
                    },
                    task("Duy trì ISO", "Sở Khoa học và Công nghệ", "Thường xuyên"),
                ],
            },
            AppendixGroup {
                title: "Nhóm giải pháp nâng cao Chỉ số PAPI".into(),
                tasks: vec![AppendixTask {
                    status: Some(TaskStatus::Paused),
                    ..task("Đối thoại", "UBND các huyện", "30/6/2027")
                }],
            },
        ],
    };
    let appendix = read_appendix(&write_appendix(&doc).unwrap()).unwrap();
    assert_eq!(appendix.sheet, "Phụ lục");
    assert!(appendix.problems.is_empty(), "{:?}", appendix.problems);
    let groups: Vec<String> = doc.groups.iter().map(|g| g.title.clone()).collect();
    assert_eq!(appendix.groups, groups);
    let written: Vec<(Option<usize>, AppendixTask)> = doc
        .groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| group.tasks.iter().map(move |t| (Some(g), t.clone())))
        .collect();
    let read: Vec<(Option<usize>, AppendixTask)> = appendix
        .rows
        .iter()
        .map(|r| {
            let task = AppendixTask {
                title: r.title.clone(),
                criteria: r.criteria.clone(),
                lead: r.lead.clone(),
                coordinators: r.coordinators.clone(),
                deadline: r.deadline_text.clone(),
                product: r.product.clone(),
                status: r.status,
            };
            (r.group, task)
        })
        .collect();
    assert_eq!(read, written);
    let stts: Vec<&str> = appendix.rows.iter().map(|r| r.stt.as_str()).collect();
    assert_eq!(stts, ["1", "2", "3"]);
    let deadlines: Vec<Option<Deadline>> = appendix.rows.iter().map(|r| r.deadline).collect();
    assert_eq!(
        deadlines,
        [
            yearly(),
            Some(Deadline::Ongoing),
            Deadline::from_code("2027-06-30")
        ]
    );
}

#[test]
fn plan_statuses_and_numerals() {
    for status in TaskStatus::ALL {
        assert_eq!(parse_status(status_title(status)), Some(status));
        assert_eq!(parse_status(status.as_str()), Some(status));
    }
    assert_eq!(parse_status("HUỶ"), Some(TaskStatus::Cancelled));
    assert_eq!(parse_status("Đã hoàn thành."), Some(TaskStatus::Done));
    assert_eq!(parse_status("Sắp xong"), None);
    let numerals: Vec<String> = [1, 2, 4, 9, 14, 40, 0].map(roman).to_vec();
    assert_eq!(numerals, ["I", "II", "IV", "IX", "XIV", "XL", "0"]);
    for (header, column) in [
        ("Cơ quan chủ trì thực hiện", Some(C::Lead)),
        ("CHU TRI", Some(C::Lead)),
        ("Thời gian hoàn thành", Some(C::Deadline)),
        ("Kết quả thực hiện", Some(C::Product)),
        ("Cơ quan thực hiện", None),
        ("Số", None),
    ] {
        assert_eq!(AppendixColumn::recognise(header), column, "{header}");
    }
}

#[test]
fn plan_group_rows_merged_over_the_table_and_rows_without_task_or_deadline() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    for (col, text) in ["STT", "Nhiệm vụ", "Chủ trì", "Thời hạn", "Ghi chú"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *text).unwrap();
    }
    // Column numbers as numbers.
    for col in 0..5u16 {
        sheet.write_number(1, col, f64::from(col + 1)).unwrap();
    }
    let row = |sheet: &mut Worksheet, r: u32, cells: &[&str]| {
        for (col, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(r, col as u16, *text).unwrap();
            }
        }
    };
    row(
        sheet,
        2,
        &["1", "Trước mọi nhóm", "Sở Nội vụ", "Thường xuyên"],
    );
    sheet
        .merge_range(3, 0, 3, 4, "A. NHÓM GIẢI PHÁP CHUNG", &bold)
        .unwrap();
    row(sheet, 4, &["a", "Nhiệm vụ con", "Sở Tư pháp", ""]);
    row(sheet, 5, &["", "", "Sở Y tế", "31/12/2026"]);
    row(sheet, 6, &["", "", "", "", "Ghi chú rời"]);
    let appendix = read_appendix(&book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(appendix.groups, ["NHÓM GIẢI PHÁP CHUNG"]);
    let read: Vec<_> = appendix
        .rows
        .iter()
        .map(|r| (r.row, r.stt.as_str(), r.group, r.title.as_str(), r.deadline))
        .collect();
    assert_eq!(
        read,
        [
            (3, "1", None, "Trước mọi nhóm", Some(Deadline::Ongoing)),
            (5, "a", Some(0), "Nhiệm vụ con", None),
        ]
    );
    let problems: Vec<(u32, &str, ProblemKind)> = appendix
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.kind.clone()))
        .collect();
    assert_eq!(
        problems,
        [
            (5, "D", ProblemKind::MissingDeadline),
            (6, "B", ProblemKind::MissingTask),
        ]
    );
}
