//! Writes the fixture workbooks of `tests/fixtures/indices/` (docs/formats.md §7.5), in the
//! layouts their publishers use, with every tolerance the readers must show:
//! `cargo run -p chiso-interchange --example index_workbooks -- tests/fixtures/indices`.
//!
//! - `papi-provinces.xlsx`: PAPI's provincial workbook. Sheets `2014`, `2016_PAPI` and `2023`
//!   plus a `Ghi chú` sheet with no year; a title row, then an English and a Vietnamese header
//!   row (names in varied case, punctuation and marks, one Vietnamese header without marks);
//!   the GSO id, the English and Vietnamese names; each dimension (a `SUM` formula with its
//!   cached value) followed by its sub-dimensions; the total (a formula); below the provinces a
//!   blank row, three summary rows with id 999 (formulas), a blank row and a source note.
//!   2014: two provinces without results (blank cells that the formulas add up to 0), a total
//!   header naming 2013. 2016: Thừa Thiên Huế as the contract's example (5.1026, 1.1329,
//!   total 35.338), Hà Nội's dimension 3 typed 0.05 above its sub-dimensions, Cà Mau tied with
//!   Bạc Liêu, a sub-dimension stored as text with 15 digits. 2023: Quảng Ninh and Bình Dương
//!   without results, dimension 8's block before dimension 7's, a weighted total.
//! - `par-2023-moha.xlsx`: MoHA's yearly PAR INDEX table: one sheet named `Sheet1`, the year
//!   only in its title, provinces by name without codes, the eight areas, the two components
//!   and the index with its rank.
//!
//! Values are deterministic (a fixed linear congruential sequence), so the files are the same
//! on every run.

use std::path::Path;

use rust_xlsxwriter::{Formula, Workbook, Worksheet};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const PROVINCES_63: &str = include_str!("../../../data/units/provinces-63.csv");

fn provinces() -> Vec<(String, String)> {
    PROVINCES_63
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut cells = line.split(',');
            let code = cells.next().unwrap().to_string();
            let name = cells.next().unwrap().to_string();
            (code, name)
        })
        .collect()
}

/// The English spelling: the Vietnamese name without its marks.
fn english(name: &str) -> String {
    name.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            '–' => '-',
            c => c,
        })
        .collect()
}

struct Random(u64);

impl Random {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A dimension's column headers: English, Vietnamese; then its sub-dimensions'.
struct DimensionHeaders {
    en: &'static str,
    vi: &'static str,
    subs: &'static [(&'static str, &'static str)],
}

const PAPI_2011: &[DimensionHeaders] = &[
    DimensionHeaders {
        en: "Dimension 1: Participation at Local Levels",
        vi: "Tham gia của người dân ở cấp cơ sở",
        subs: &[
            ("Civic Knowledge", "Tri thức công dân"),
            ("Opportunities for Participation", "Cơ hội tham gia"),
            ("Quality of Elections", "Chất lượng bầu cử"),
            ("Voluntary Contributions", "Đóng góp tự nguyện"),
        ],
    },
    DimensionHeaders {
        en: "Dimension 2: TRANSPARENCY",
        vi: "Cong khai, minh bach",
        subs: &[
            ("Sub-dimension 2.1: Poverty Lists", "Danh sách hộ nghèo"),
            ("Communal Budgets", "Thu, chi ngân sách cấp xã"),
            (
                "Land-use Plans and Pricing",
                "Quy hoạch, kế hoạch sử dụng đất, khung giá đền bù",
            ),
        ],
    },
    DimensionHeaders {
        en: "Dimension 3: Vertical Accountability",
        vi: "Trách nhiệm giải trình với người dân",
        subs: &[
            (
                "Interactions with Local Authorities",
                "Mức độ và hiệu quả tiếp xúc với chính quyền",
            ),
            ("People's Inspection Boards", "Ban Thanh tra nhân dân"),
            (
                "Community Investment Supervision Boards",
                "Ban Giám sát đầu tư cộng đồng",
            ),
        ],
    },
    DimensionHeaders {
        en: "Dimension 4: Control of Corruption",
        vi: "Kiểm soát tham nhũng trong khu vực công",
        subs: &[
            (
                "Limits on Public Sector Corruption",
                "Kiểm soát tham nhũng trong chính quyền địa phương",
            ),
            (
                "Limits on Corruption in Public Service Delivery",
                "Kiểm soát tham nhũng trong cung ứng dịch vụ công",
            ),
            (
                "Equity in Employment",
                "Công bằng trong tuyển dụng vào khu vực nhà nước",
            ),
            (
                "Willingness to Fight Corruption",
                "Quyết tâm chống tham nhũng",
            ),
        ],
    },
    DimensionHeaders {
        en: "Dimension 5: Public Administrative Procedures",
        vi: "Thủ tục hành chính công",
        subs: &[
            ("Certification Procedures", "Dịch vụ chứng thực, xác nhận"),
            ("Construction Permits", "Thủ tục cấp phép xây dựng"),
            (
                "Land-use Rights Certificates",
                "Thủ tục liên quan đến giấy chứng nhận quyền sử dụng đất",
            ),
            (
                "Commune-level Administrative Procedures",
                "Thủ tục hành chính cấp xã, phường",
            ),
        ],
    },
    DimensionHeaders {
        en: "Dimension 6: Public Service Delivery",
        vi: "Cung ứng dịch vụ công",
        subs: &[
            ("Public Health Care", "Y tế công lập"),
            ("Public Primary Education", "Giáo dục tiểu học công lập"),
            ("Basic Infrastructure", "Cơ sở hạ tầng căn bản"),
            ("Law and Order", "An ninh, trật tự khu dân cư"),
        ],
    },
];

const PAPI_2018_EXTRA: &[DimensionHeaders] = &[
    DimensionHeaders {
        en: "Dimension 7: Environmental Governance",
        vi: "Quản trị môi trường",
        subs: &[
            (
                "Seriousness in Environmental Protection",
                "Tính nghiêm minh trong bảo vệ môi trường",
            ),
            ("Air Quality", "Chất lượng không khí"),
            ("Water Quality", "Chất lượng nước"),
        ],
    },
    DimensionHeaders {
        en: "Dimension 8: E-Governance",
        vi: "Quản trị điện tử",
        subs: &[
            (
                "Use of E-government Portals",
                "Sử dụng cổng thông tin điện tử của chính quyền địa phương",
            ),
            (
                "Access to and Use of the Internet",
                "Tiếp cận và sử dụng Internet",
            ),
        ],
    },
];

/// The 2018 structure's dimensions 1–6 differ from 2011's in dimensions 2 and 3.
const PAPI_2018_CHANGED: &[DimensionHeaders] = &[
    DimensionHeaders {
        en: "Dimension 2: Transparency in Local Decision-making",
        vi: "Công khai, minh bạch trong việc ra quyết định ở địa phương",
        subs: &[
            ("", "Tiếp cận thông tin"),
            ("", "Công khai danh sách hộ nghèo"),
            ("", "Công khai thu, chi ngân sách cấp xã"),
            ("", "Quy hoạch, kế hoạch sử dụng đất, khung giá bồi thường"),
        ],
    },
    DimensionHeaders {
        en: "Dimension 3: Vertical Accountability",
        vi: "Trách nhiệm giải trình",
        subs: &[
            (
                "Interactions with Local Authorities",
                "Hiệu quả tương tác với các cấp chính quyền",
            ),
            (
                "Responses to Citizens' Appeals",
                "Giải đáp khiếu nại, tố cáo, khúc mắc của người dân",
            ),
            ("Access to Justice Services", "Tiếp cận dịch vụ tư pháp"),
        ],
    },
];

/// One province's values: sub-dimensions per dimension (None: no result).
type Values = Option<Vec<Vec<f64>>>;

/// Sub-dimension values rounded to 4 decimals, each dimension between 1 and 10.
fn random_values(random: &mut Random, dimensions: &[&DimensionHeaders]) -> Vec<Vec<f64>> {
    dimensions
        .iter()
        .map(|d| {
            let n = d.subs.len() as f64;
            d.subs
                .iter()
                .map(|_| ((1.0 + 8.5 * random.unit()) / n * 10_000.0).round() / 10_000.0)
                .collect()
        })
        .collect()
}

struct SheetPlan<'a> {
    name: &'a str,
    year: i32,
    dimensions: Vec<&'a DimensionHeaders>,
    total_en: &'a str,
    total_vi: &'a str,
    weighted: Option<&'a str>,
    values: Vec<(String, String, Values)>,
    /// (province code, dimension index, amount typed above the sum of its sub-dimensions)
    typed_off: Option<(&'a str, usize, f64)>,
    /// (province code, dimension, sub-dimension): written as text with 15 digits.
    as_text: Option<(&'a str, usize, usize)>,
}

fn column_name(column: u16) -> String {
    let mut n = u32::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}

fn formula(sheet: &mut Worksheet, row: u32, column: u16, text: &str, result: f64) {
    sheet
        .write_formula(
            row,
            column,
            Formula::new(text).set_result(format!("{result}")),
        )
        .unwrap();
}

/// One year's sheet, cell by cell, as the publisher lays it out. Over 100 lines: the layout
/// the tests read (title, two header rows, the provinces with their formulas, the summary
/// rows, the note) is clearer written top to bottom in one place.
fn write_papi_sheet(workbook: &mut Workbook, plan: &SheetPlan<'_>) {
    let sheet = workbook.add_worksheet();
    sheet.set_name(plan.name).unwrap();
    sheet
        .write_string(
            0,
            0,
            format!(
                "PAPI {}: provincial scores / Điểm PAPI cấp tỉnh năm {}",
                plan.year, plan.year
            ),
        )
        .unwrap();
    let (en, vi) = (1, 2);
    let headers = [
        ("GSO ID", "Mã tỉnh"),
        ("Province", "Tên tỉnh (tiếng Anh)"),
        ("Province (Vietnamese)", "Tỉnh, thành phố"),
    ];
    for (c, (e, v)) in headers.iter().enumerate() {
        sheet.write_string(en, c as u16, *e).unwrap();
        sheet.write_string(vi, c as u16, *v).unwrap();
    }
    // Column of each dimension and of each of its sub-dimensions.
    let mut columns: Vec<(u16, Vec<u16>)> = Vec::new();
    let mut next = 3u16;
    for d in &plan.dimensions {
        sheet.write_string(en, next, d.en).unwrap();
        sheet.write_string(vi, next, d.vi).unwrap();
        let dimension_column = next;
        next += 1;
        let mut subs = Vec::new();
        for (e, v) in d.subs {
            if !e.is_empty() {
                sheet.write_string(en, next, *e).unwrap();
            }
            sheet.write_string(vi, next, *v).unwrap();
            subs.push(next);
            next += 1;
        }
        columns.push((dimension_column, subs));
    }
    let total_column = next;
    sheet.write_string(en, total_column, plan.total_en).unwrap();
    sheet.write_string(vi, total_column, plan.total_vi).unwrap();
    if let Some(weighted) = plan.weighted {
        sheet.write_string(en, total_column + 1, weighted).unwrap();
    }
    let first = 3u32;
    let mut totals_by_column: Vec<Vec<f64>> = vec![Vec::new(); usize::from(total_column) + 1];
    for (i, (code, name, values)) in plan.values.iter().enumerate() {
        let row = first + i as u32;
        sheet
            .write_number(row, 0, code.parse::<f64>().unwrap())
            .unwrap();
        sheet.write_string(row, 1, english(name)).unwrap();
        sheet.write_string(row, 2, name).unwrap();
        let mut total = 0.0;
        let mut dimension_cells = Vec::new();
        for (d, (dimension_column, subs)) in columns.iter().enumerate() {
            let mut sum = 0.0;
            for (s, &column) in subs.iter().enumerate() {
                if let Some(values) = values {
                    let v = values[d][s];
                    sum += v;
                    if plan.as_text == Some((code.as_str(), d, s)) {
                        sheet.write_string(row, column, format!("{v:.14}")).unwrap();
                    } else {
                        sheet.write_number(row, column, v).unwrap();
                    }
                }
                totals_by_column[usize::from(column)]
                    .push(values.as_ref().map_or(0.0, |v| v[d][s]));
            }
            let range = format!(
                "=SUM({}{}:{}{})",
                column_name(subs[0]),
                row + 1,
                column_name(*subs.last().unwrap()),
                row + 1
            );
            let typed = plan
                .typed_off
                .filter(|(c, dim, _)| c == code && *dim == d)
                .map(|(_, _, off)| sum + off);
            match typed {
                Some(value) => {
                    sheet.write_number(row, *dimension_column, value).unwrap();
                    sum = value;
                }
                None => formula(sheet, row, *dimension_column, &range, sum),
            }
            totals_by_column[usize::from(*dimension_column)].push(sum);
            total += sum;
            dimension_cells.push(format!("{}{}", column_name(*dimension_column), row + 1));
        }
        formula(
            sheet,
            row,
            total_column,
            &format!("={}", dimension_cells.join("+")),
            total,
        );
        totals_by_column[usize::from(total_column)].push(total);
        if plan.weighted.is_some() && values.is_some() {
            sheet
                .write_number(
                    row,
                    total_column + 1,
                    (total * 0.97 * 10_000.0).round() / 10_000.0,
                )
                .unwrap();
        }
    }
    let last = first + plan.values.len() as u32 - 1;
    let summaries = [
        ("Highest", "Cao nhất", "MAX"),
        ("Lowest", "Thấp nhất", "MIN"),
        ("Mean", "Trung bình", "AVERAGE"),
    ];
    for (k, (e, v, function)) in summaries.iter().enumerate() {
        let row = last + 2 + k as u32;
        sheet.write_number(row, 0, 999.0).unwrap();
        sheet.write_string(row, 1, *e).unwrap();
        sheet.write_string(row, 2, *v).unwrap();
        for (column, values) in totals_by_column.iter().enumerate().skip(3) {
            if values.is_empty() {
                continue;
            }
            let result = match *function {
                "MAX" => values.iter().copied().fold(f64::MIN, f64::max),
                "MIN" => values.iter().copied().fold(f64::MAX, f64::min),
                _ => values.iter().sum::<f64>() / values.len() as f64,
            };
            let c = column_name(column as u16);
            formula(
                sheet,
                row,
                column as u16,
                &format!("={function}({c}{}:{c}{})", first + 1, last + 1),
                result,
            );
        }
    }
    sheet
        .write_string(last + 6, 0, "Nguồn / Source: papi.org.vn")
        .unwrap();
}

/// Thừa Thiên Huế 2016 as the contract's example: dimension 1 = 5.1026 with sub-dimension 1.1
/// = 1.1329, total 35.338.
fn hue_2016() -> Vec<Vec<f64>> {
    vec![
        vec![1.1329, 1.3012, 1.4563, 1.2122],
        vec![1.8107, 1.8107, 1.8107],
        vec![1.6737, 1.6737, 1.6737],
        vec![1.52505, 1.52505, 1.52505, 1.52505],
        vec![1.760125, 1.760125, 1.760125, 1.760125],
        vec![1.660375, 1.660375, 1.660375, 1.660375],
    ]
}

/// The PAPI workbook: its three year sheets and the note sheet, each plan spelled out (just
/// over 100 lines, since each sheet's tolerances are declared where the sheet is planned).
fn papi_workbook() -> Vec<u8> {
    let provinces = provinces();
    let mut workbook = Workbook::new();
    let mut random = Random(2016);
    let d2011: Vec<&DimensionHeaders> = PAPI_2011.iter().collect();

    let values_2014 = provinces
        .iter()
        .map(|(code, name)| {
            let values = random_values(&mut random, &d2011);
            let none = code == "12" || code == "62";
            (code.clone(), name.clone(), (!none).then_some(values))
        })
        .collect();
    write_papi_sheet(
        &mut workbook,
        &SheetPlan {
            name: "2014",
            year: 2014,
            dimensions: d2011.clone(),
            total_en: "PAPI 2013 (unweighted)",
            total_vi: "Tổng điểm PAPI",
            weighted: None,
            values: values_2014,
            typed_off: None,
            as_text: None,
        },
    );

    let mut values_2016: Vec<(String, String, Values)> = provinces
        .iter()
        .map(|(code, name)| {
            let values = if code == "46" {
                hue_2016()
            } else {
                random_values(&mut random, &d2011)
            };
            (code.clone(), name.clone(), Some(values))
        })
        .collect();
    let bac_lieu = values_2016.iter().find(|v| v.0 == "95").unwrap().2.clone();
    values_2016.iter_mut().find(|v| v.0 == "96").unwrap().2 = bac_lieu;
    write_papi_sheet(
        &mut workbook,
        &SheetPlan {
            name: "2016_PAPI",
            year: 2016,
            dimensions: d2011.clone(),
            total_en: "PAPI 2016 (unweighted)",
            total_vi: "Tổng điểm PAPI 2016",
            weighted: None,
            values: values_2016,
            typed_off: Some(("01", 2, 0.05)),
            as_text: Some(("79", 0, 1)),
        },
    );

    // 2023: dimensions 1–6 (2 and 3 as from 2018), then 8 before 7.
    let d2018: Vec<&DimensionHeaders> = vec![
        &PAPI_2011[0],
        &PAPI_2018_CHANGED[0],
        &PAPI_2018_CHANGED[1],
        &PAPI_2011[3],
        &PAPI_2011[4],
        &PAPI_2011[5],
        &PAPI_2018_EXTRA[1],
        &PAPI_2018_EXTRA[0],
    ];
    let values_2023 = provinces
        .iter()
        .map(|(code, name)| {
            let values = random_values(&mut random, &d2018);
            let none = code == "22" || code == "74";
            (code.clone(), name.clone(), (!none).then_some(values))
        })
        .collect();
    write_papi_sheet(
        &mut workbook,
        &SheetPlan {
            name: "2023",
            year: 2023,
            dimensions: d2018,
            total_en: "PAPI 2023 Total",
            total_vi: "Tổng điểm chưa có trọng số",
            weighted: Some("PAPI 2023 (weighted)"),
            values: values_2023,
            typed_off: None,
            as_text: None,
        },
    );

    let notes = workbook.add_worksheet();
    notes.set_name("Ghi chú").unwrap();
    notes
        .write_string(
            0,
            0,
            "Số liệu minh họa cho kiểm thử, không phải số liệu công bố.",
        )
        .unwrap();
    workbook.save_to_buffer().unwrap()
}

const PAR_AREAS: [&str; 8] = [
    "Công tác chỉ đạo, điều hành CCHC",
    "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật tại tỉnh",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính nhà nước",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số",
    "Tác động của cải cách hành chính đến người dân, tổ chức và các chỉ tiêu phát triển kinh tế – xã hội của tỉnh",
];
const PAR_MAXIMA: [f64; 8] = [9.0, 8.5, 13.0, 9.0, 10.5, 10.0, 15.5, 24.5];

/// MoHA's table: areas as points, the appraised and survey parts, the index and the rank.
fn par_workbook() -> Vec<u8> {
    let provinces = provinces();
    let mut random = Random(2023);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_string(0, 0, "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2023 CỦA CÁC TỈNH, THÀNH PHỐ TRỰC THUỘC TRUNG ƯƠNG")
        .unwrap();
    let mut header = vec!["STT".to_string(), "Tỉnh, thành phố".to_string()];
    header.extend(
        PAR_AREAS
            .iter()
            .enumerate()
            .map(|(i, a)| format!("Lĩnh vực {}: {a}", i + 1)),
    );
    header.extend(
        [
            "Điểm thẩm định",
            "Điều tra xã hội học",
            "Chỉ số CCHC 2023",
            "Xếp hạng",
        ]
        .map(str::to_string),
    );
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, h).unwrap();
    }
    let mut rows: Vec<(String, Vec<f64>, f64)> = provinces
        .iter()
        .map(|(_, name)| {
            let areas: Vec<f64> = PAR_MAXIMA
                .iter()
                .map(|m| ((0.7 + 0.3 * random.unit()) * m * 100.0).round() / 100.0)
                .collect();
            let total: f64 = areas.iter().sum();
            (name.clone(), areas, (total * 100.0).round() / 100.0)
        })
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut rank = 0;
    for (i, (name, areas, total)) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        if i == 0 || rows[i - 1].2 != *total {
            rank = i + 1;
        }
        let surveys = ((total * 0.3) * 100.0).round() / 100.0;
        sheet.write_number(row, 0, (i + 1) as f64).unwrap();
        let written = if name == "TP Hồ Chí Minh" {
            "Thành phố Hồ Chí Minh"
        } else {
            name
        };
        sheet.write_string(row, 1, written).unwrap();
        for (a, v) in areas.iter().enumerate() {
            sheet.write_number(row, 2 + a as u16, *v).unwrap();
        }
        sheet
            .write_number(row, 10, ((total - surveys) * 100.0).round() / 100.0)
            .unwrap();
        sheet.write_number(row, 11, surveys).unwrap();
        sheet.write_number(row, 12, *total).unwrap();
        sheet.write_number(row, 13, rank as f64).unwrap();
    }
    let mean = rows.iter().map(|r| r.2).sum::<f64>() / rows.len() as f64;
    sheet
        .write_string(3 + rows.len() as u32, 1, "Trung bình cả nước")
        .unwrap();
    sheet
        .write_number(3 + rows.len() as u32, 12, (mean * 100.0).round() / 100.0)
        .unwrap();
    workbook.save_to_buffer().unwrap()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: index_workbooks DIR (tests/fixtures/indices)");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("the folder can be created");
    for (name, bytes) in [
        ("papi-provinces.xlsx", papi_workbook()),
        ("par-2023-moha.xlsx", par_workbook()),
    ] {
        std::fs::write(dir.join(name), &bytes).expect("the file is written");
        println!("{name}\t{} bytes", bytes.len());
    }
}
