//! The roll-up and emulation workbooks opened with calamine: headers, texts and numbers as
//! number cells.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chiso_domain::plan::TaskStatus;

use super::*;

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(value: &str) -> Data {
    Data::String(value.to_string())
}

/// The first row holding `value`, and the row.
fn row_with<'a>(rows: &'a [Vec<Data>], value: &str) -> (usize, &'a [Data]) {
    let at = rows
        .iter()
        .position(|r| r.contains(&text(value)))
        .unwrap_or_else(|| panic!("no cell '{value}'"));
    (at, &rows[at])
}

fn rollup_doc() -> RollupDoc {
    RollupDoc {
        authority: "UBND tỉnh Quảng Bình".into(),
        title: "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN KẾ HOẠCH 1886/KH-UBND".into(),
        document: "Kế hoạch số 1886/KH-UBND ngày 10/09/2021 của UBND tỉnh Quảng Bình".into(),
        period: "Quý IV năm 2026".into(),
        made_on: "07/12/2026".into(),
        summary: RollupSummary {
            tasks: 12,
            done: 3,
            in_progress: 6,
            not_started: 2,
            overdue: 1,
            reported: 9,
            not_reported: 2,
            average_percent: Some(62.5),
        },
        groups: vec![RollupGroup {
            title: "Nhóm giải pháp nâng cao Chỉ số PAPI".into(),
            tasks: vec![
                RollupTask {
                    title: "Công khai thông tin quy hoạch".into(),
                    lead: "Sở Nội vụ".into(),
                    status: TaskStatus::InProgress,
                    percent: Some(75.0),
                    narrative: "Đã đăng tải 12 quy hoạch".into(),
                    contributions: vec![
                        Contribution {
                            unit: "Sở Tài chính".into(),
                            text: "Bố trí kinh phí".into(),
                        },
                        Contribution {
                            unit: "Sở Tư pháp".into(),
                            text: "Thẩm định".into(),
                        },
                    ],
                    overdue: true,
                },
                RollupTask {
                    title: "Đối thoại".into(),
                    lead: "Văn phòng UBND tỉnh".into(),
                    status: TaskStatus::NotStarted,
                    percent: None,
                    narrative: String::new(),
                    contributions: Vec::new(),
                    overdue: false,
                },
            ],
        }],
        units: vec![
            RollupUnit {
                name: "Sở Nội vụ".into(),
                lead_tasks: 5,
                done: 2,
                overdue: 1,
                reported: true,
                average_percent: Some(70.0),
            },
            RollupUnit {
                name: "Văn phòng UBND tỉnh".into(),
                lead_tasks: 1,
                done: 0,
                overdue: 0,
                reported: false,
                average_percent: None,
            },
        ],
    }
}

#[test]
fn plan_rollup_holds_its_title_block_summary_tasks_and_units_as_numbers() {
    let bytes = write_rollup(&rollup_doc()).unwrap();
    let rows = sheet(&bytes, "Tổng hợp");
    assert_eq!(rows[0][0], text("UBND TỈNH QUẢNG BÌNH"));
    for line in [
        "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN KẾ HOẠCH 1886/KH-UBND",
        "Quý IV năm 2026",
        "Ngày lập: 07/12/2026",
    ] {
        row_with(&rows, line);
    }
    for (label, value) in [
        ("Tổng số nhiệm vụ", 12.0),
        ("Đã hoàn thành", 3.0),
        ("Đang thực hiện", 6.0),
        ("Chưa bắt đầu", 2.0),
        ("Quá hạn", 1.0),
        ("Đã báo cáo trong kỳ", 9.0),
        ("Chưa báo cáo trong kỳ", 2.0),
        ("Tỷ lệ hoàn thành bình quân (%)", 62.5),
    ] {
        assert_eq!(row_with(&rows, label).1[2], Data::Float(value), "{label}");
    }
    let (at, header) = row_with(&rows, "Kết quả trong kỳ");
    let expected: Vec<Data> = [
        "STT",
        "Nhiệm vụ",
        "Cơ quan chủ trì",
        "Tình trạng",
        "Tỷ lệ hoàn thành (%)",
        "Kết quả trong kỳ",
        "Đóng góp của cơ quan phối hợp",
        "Quá hạn",
    ]
    .map(text)
    .to_vec();
    assert_eq!(header, expected);
    assert_eq!(rows[at + 1][0], text("I"));
    assert_eq!(rows[at + 1][1], text("Nhóm giải pháp nâng cao Chỉ số PAPI"));
    let first = &rows[at + 2];
    assert_eq!(first[0], Data::Float(1.0));
    assert_eq!(first[1], text("Công khai thông tin quy hoạch"));
    assert_eq!(first[2], text("Sở Nội vụ"));
    assert_eq!(first[3], text("Đang thực hiện"));
    assert_eq!(first[4], Data::Float(75.0));
    assert_eq!(first[5], text("Đã đăng tải 12 quy hoạch"));
    assert_eq!(
        first[6],
        text("Sở Tài chính: Bố trí kinh phí\nSở Tư pháp: Thẩm định")
    );
    assert_eq!(first[7], text("Có"));
    let second = &rows[at + 3];
    assert_eq!(second[0], Data::Float(2.0));
    assert_eq!(second[3], text("Chưa bắt đầu"));
    assert_eq!(second[4], Data::Empty);
    assert!(matches!(&second[7], Data::Empty) || second[7] == text(""));

    let units = sheet(&bytes, "Đơn vị");
    let (at, header) = row_with(&units, "Đơn vị");
    let expected: Vec<Data> = [
        "Đơn vị",
        "Số nhiệm vụ chủ trì",
        "Hoàn thành",
        "Quá hạn",
        "Đã báo cáo kỳ này",
        "Tỷ lệ hoàn thành bình quân (%)",
    ]
    .map(text)
    .to_vec();
    assert_eq!(header, expected);
    assert_eq!(
        units[at + 1],
        vec![
            text("Sở Nội vụ"),
            Data::Float(5.0),
            Data::Float(2.0),
            Data::Float(1.0),
            text("Có"),
            Data::Float(70.0),
        ]
    );
    assert_eq!(units[at + 2][4], text("Chưa"));
    assert_eq!(units[at + 2][5], Data::Empty);
}

#[test]
fn plan_emulation_states_its_rule_and_ranks_units_as_numbers() {
    let rule = "Điểm thi đua = 60 % × tỷ lệ hoàn thành + 40 % × mức tăng chỉ số, quy về thang 100";
    let doc = EmulationDoc {
        authority: "UBND tỉnh Quảng Bình".into(),
        title: "KẾT QUẢ CHẤM ĐIỂM THI ĐUA THỰC HIỆN KẾ HOẠCH NÂNG CAO CHỈ SỐ".into(),
        rule: rule.into(),
        document: "Kế hoạch số 1886/KH-UBND".into(),
        period: "Năm 2026".into(),
        made_on: "07/12/2026".into(),
        units: vec![
            EmulationUnit {
                rank: 1,
                name: "Sở Nội vụ".into(),
                lead_tasks: 5,
                done_on_time: 4,
                overdue: 0,
                average_percent: Some(90.0),
                index_previous: Some(85.5),
                index_current: Some(86.75),
                change: Some(1.25),
                score: 82.5,
            },
            EmulationUnit {
                rank: 2,
                name: "Sở Tư pháp".into(),
                lead_tasks: 2,
                done_on_time: 1,
                overdue: 1,
                average_percent: Some(50.0),
                index_previous: None,
                index_current: Some(80.0),
                change: None,
                score: 30.0,
            },
        ],
    };
    let rows = sheet(&write_emulation(&doc).unwrap(), "Thi đua");
    assert_eq!(rows[0][0], text("UBND TỈNH QUẢNG BÌNH"));
    assert_eq!(rows[1][0], text(&doc.title));
    assert_eq!(
        rows[2][0],
        text(rule),
        "the rule on the line under the title"
    );
    row_with(&rows, "Ngày lập: 07/12/2026");
    let (at, header) = row_with(&rows, "Điểm thi đua");
    let expected: Vec<Data> = [
        "Hạng",
        "Đơn vị",
        "Nhiệm vụ chủ trì",
        "Hoàn thành đúng hạn",
        "Quá hạn",
        "Tỷ lệ hoàn thành bình quân (%)",
        "Chỉ số năm trước",
        "Chỉ số năm nay",
        "Thay đổi",
        "Điểm thi đua",
    ]
    .map(text)
    .to_vec();
    assert_eq!(header, expected);
    let numbers = |values: &[f64]| values.iter().map(|v| Data::Float(*v)).collect::<Vec<_>>();
    let first = &rows[at + 1];
    assert_eq!(first[0], Data::Float(1.0));
    assert_eq!(first[1], text("Sở Nội vụ"));
    assert_eq!(
        first[2..],
        numbers(&[5.0, 4.0, 0.0, 90.0, 85.5, 86.75, 1.25, 82.5])[..]
    );
    let second = &rows[at + 2];
    assert_eq!(second[0], Data::Float(2.0));
    assert_eq!(second[6], Data::Empty);
    assert_eq!(second[8], Data::Empty);
    assert_eq!(second[9], Data::Float(30.0));
}
