//! The reports typeset with the bundled fonts; every text of the data prints literally.

use typst::layout::{Frame, FrameItem, PagedDocument};

use super::*;
use crate::world::ReportWorld;

/// A name with every character typst markup gives a meaning to.
const HOSTILE: &str = "Sở *A* #b $c$ <d> _e_ `f` [g] \\h @i // j";

fn heading() -> Heading {
    Heading {
        authority: "Ủy ban nhân dân tỉnh Thừa Thiên Huế".into(),
        campaign: "Đánh giá năm 2026".into(),
        year: "2026".into(),
        date: "07/12/2026".into(),
        status: "Đã công bố ngày 07/12/2026".into(),
        preview: false,
    }
}

fn chart(caption: &str) -> Chart {
    Chart {
        caption: caption.into(),
        svg: r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40" width="200" height="40"><rect x="0" y="10" width="120" height="12" fill="#2e8b57"/><text x="0" y="8" font-family="Noto Sans" font-size="8">Sở Tư pháp</text></svg>"##.into(),
    }
}

fn sheet(name: &str) -> UnitSheet {
    UnitSheet {
        unit: name.into(),
        group: "Sở, ban, ngành".into(),
        framework: "Bộ tiêu chí sở 2026".into(),
        points: "88,47".into(),
        max: "100".into(),
        index: "88,47".into(),
        rank: "1".into(),
        of: "2".into(),
        classification: "Tốt".into(),
        areas: vec![AreaLine {
            code: "1".into(),
            title: "Công tác chỉ đạo, điều hành".into(),
            points: "8,5".into(),
            max: "10".into(),
            average: "7,25".into(),
            best: "9".into(),
            rank: "1".into(),
        }],
        profile: Some(chart("Điểm từng lĩnh vực")),
        losses: vec![LossLine {
            code: "1.1".into(),
            title: "Ban hành kế hoạch".into(),
            points: "0,5".into(),
            max: "1".into(),
            lost: "0,5".into(),
            best: "1".into(),
            median: "0,75".into(),
        }],
        fallen_since: Some("Đánh giá năm 2025".into()),
        fallen: vec![FallenLine {
            code: "1.1".into(),
            title: "Ban hành kế hoạch".into(),
            points: "0,5/1".into(),
            previous: "1/1".into(),
            drop: "50,00".into(),
        }],
        trend: vec![TrendLine {
            year: "2026".into(),
            campaign: "Đánh giá năm 2026".into(),
            index: "88,47".into(),
            rank: "1/2".into(),
        }],
        trend_chart: Some(chart("Chỉ số qua các năm")),
    }
}

fn campaign(appendix: bool) -> CampaignReport {
    let row = |stt: &str, unit: &str| RankRow {
        stt: stt.into(),
        unit: unit.into(),
        areas: vec!["8,5".into()],
        points: "88,47".into(),
        index: "88,47".into(),
        rank: stt.into(),
        classification: "Tốt".into(),
        change: "+5,41 (tăng 2 bậc)".into(),
    };
    CampaignReport {
        heading: heading(),
        compared_with: Some("Đánh giá năm 2025".into()),
        bands: vec!["Tốt: từ 80".into(), "Khá".into()],
        classes: vec!["Tốt".into(), "Khá".into()],
        groups: vec![RankedGroup {
            label: "Sở, ban, ngành".into(),
            framework: "Bộ tiêu chí sở 2026".into(),
            max: "100".into(),
            units: "2".into(),
            average_index: "80,00".into(),
            distribution: vec![
                Count {
                    label: "Tốt".into(),
                    count: "1".into(),
                },
                Count {
                    label: "Khá".into(),
                    count: "1".into(),
                },
            ],
            areas: vec![AreaHead {
                code: "1".into(),
                title: "Công tác chỉ đạo, điều hành".into(),
                max: "10".into(),
            }],
            rows: vec![row("1", HOSTILE), row("2", "Sở Tư pháp")],
            excluded: vec![Excluded {
                unit: "Sở Y tế".into(),
                note: "chưa nộp".into(),
            }],
            charts: vec![chart("Xếp hạng theo chỉ số")],
            weakest_areas: vec![AreaWeakness {
                code: "1".into(),
                title: "Công tác chỉ đạo, điều hành".into(),
                index: "72,50".into(),
            }],
            weakest_leaves: vec![LeafWeakness {
                code: "1.1".into(),
                title: "Ban hành kế hoạch".into(),
                share: "50,00".into(),
                lost: "1".into(),
                full_marks: "0/2".into(),
            }],
        }],
        surveys: vec![SurveySection {
            title: "Khảo sát SIPAS 2026".into(),
            leaves: "8.1".into(),
            rows: vec![SurveyRow {
                unit: "Sở Tư pháp".into(),
                responses: "120".into(),
                target: "100".into(),
                index: "81,20".into(),
                interval: "78,00 – 84,40".into(),
            }],
        }],
        appendix_note: None,
        appendix: if appendix {
            vec![sheet(HOSTILE), sheet("Sở Tư pháp")]
        } else {
            Vec::new()
        },
    }
}

fn announcement_data() -> Announcement {
    Announcement {
        superior: None,
        authority: "Ủy ban nhân dân tỉnh Thừa Thiên Huế".into(),
        number: "125/TB-UBND".into(),
        place: "Thừa Thiên Huế".into(),
        day: "07".into(),
        month: "12".into(),
        year: "2026".into(),
        summary: "Kết quả Chỉ số cải cách hành chính năm 2026".into(),
        opening: vec!["Ủy ban nhân dân tỉnh Thừa Thiên Huế thông báo kết quả như sau:".into()],
        groups: vec![AnnouncedGroup {
            label: "Sở, ban, ngành".into(),
            rows: vec![AnnouncedRow {
                stt: "1".into(),
                unit: HOSTILE.into(),
                index: "88,47".into(),
                rank: "1".into(),
                classification: "Tốt".into(),
            }],
        }],
        closing: vec!["Đề nghị các cơ quan, đơn vị khắc phục hạn chế.".into()],
        recipients: vec!["Như trên".into(), "Lưu: VT, SNV".into()],
        capacity: vec!["TM. Ủy ban nhân dân".into(), "KT. Chủ tịch".into()],
        signer_title: "Phó Chủ tịch".into(),
        signer_name: "Nguyễn Văn A".into(),
    }
}

/// The text a document prints, page by page, in reading order of its frames.
fn text_of(main: &str, data: &impl serde::Serialize) -> (usize, String) {
    fn walk(frame: &Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) => out.push_str(&text.text),
                _ => {}
            }
        }
    }
    let world = ReportWorld::new(main, serde_json::to_vec(data).unwrap(), None);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .unwrap_or_else(|e| panic!("{main}: {:?}", messages(&e)));
    let mut out = String::new();
    for page in &document.pages {
        walk(&page.frame, &mut out);
        out.push('\n');
    }
    (document.pages.len(), out)
}

/// Glyphs the bundled fonts do not have (shown as empty boxes), with their text.
fn missing_glyphs(main: &str, data: &impl serde::Serialize) -> Vec<String> {
    fn walk(frame: &Frame, out: &mut Vec<String>) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) if text.glyphs.iter().any(|g| g.id == 0) => {
                    out.push(text.text.to_string())
                }
                _ => {}
            }
        }
    }
    let world = ReportWorld::new(main, serde_json::to_vec(data).unwrap(), None);
    let document = typst::compile::<PagedDocument>(&world).output.unwrap();
    let mut out = Vec::new();
    for page in &document.pages {
        walk(&page.frame, &mut out);
    }
    out
}

/// The text without the spaces between glyph runs (a table cell may be set in several runs).
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_bundled_fonts_are_the_only_fonts_and_print_every_character() {
    assert_eq!(ReportWorld::font_count(), 6);
    let unit = UnitReport {
        heading: heading(),
        sheet: sheet("Sở Tư pháp"),
    };
    assert_eq!(
        missing_glyphs("/campaign.typ", &campaign(true)),
        Vec::<String>::new()
    );
    assert_eq!(missing_glyphs("/unit.typ", &unit), Vec::<String>::new());
    assert_eq!(
        missing_glyphs("/announcement.typ", &announcement_data()),
        Vec::<String>::new()
    );
    let mut odd = campaign(false);
    odd.groups[0].rows[0].unit = "Xã ≥ ▲".into();
    assert_eq!(
        missing_glyphs("/campaign.typ", &odd).len(),
        1,
        "the check finds a missing glyph"
    );
}

#[test]
fn every_report_is_a_pdf() {
    let mut stages = Vec::new();
    let pdf = campaign_report(&campaign(true), &mut |s| stages.push(s)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(stages, [Stage::Data, Stage::Typeset, Stage::Export]);
    let pdf = unit_report(
        &UnitReport {
            heading: heading(),
            sheet: sheet("Sở Tư pháp"),
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let pdf = announcement(&announcement_data(), &mut |_| {}).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

#[test]
fn markup_characters_in_names_print_literally() {
    let expected = squeeze(HOSTILE);
    for (main, text) in [
        ("/campaign.typ", text_of("/campaign.typ", &campaign(true)).1),
        (
            "/unit.typ",
            text_of(
                "/unit.typ",
                &UnitReport {
                    heading: heading(),
                    sheet: sheet(HOSTILE),
                },
            )
            .1,
        ),
        (
            "/announcement.typ",
            text_of("/announcement.typ", &announcement_data()).1,
        ),
    ] {
        assert!(squeeze(&text).contains(&expected), "{main}: {text}");
    }
}

#[test]
fn the_campaign_report_has_its_sections_and_one_page_per_unit() {
    let (without, text) = text_of("/campaign.typ", &campaign(false));
    for part in [
        "Ủy ban nhân dân tỉnh Thừa Thiên Huế",
        "Chỉ số cải cách hành chính",
        "Tổng quan",
        "Xếp hạng từng nhóm",
        "Sở Tư pháp",
        "Sở Y tế: chưa nộp",
        "Lĩnh vực và tiêu chí còn yếu",
        "Ban hành kế hoạch",
        "Khảo sát SIPAS 2026",
        "78,00 – 84,40",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("Phụ lục"));
    let mut noted = campaign(false);
    noted.appendix_note = Some("Phụ lục được lược bỏ vì có trên 200 đơn vị.".into());
    assert!(
        text_of("/campaign.typ", &noted)
            .1
            .contains("lược bỏ vì có trên 200")
    );
    let (with, text) = text_of("/campaign.typ", &campaign(true));
    assert!(text.contains("Phụ lục"));
    assert_eq!(with, without + 2, "one page per unit of the appendix");
}

#[test]
fn a_preview_says_it_is_not_published() {
    let mut report = campaign(false);
    report.heading.preview = true;
    assert!(text_of("/campaign.typ", &report).1.contains("chưa công bố"));
    assert!(
        !text_of("/campaign.typ", &campaign(false))
            .1
            .contains("chưa công bố")
    );
}

#[test]
fn the_announcement_follows_the_decree_layout() {
    let (_, text) = text_of("/announcement.typ", &announcement_data());
    for part in [
        "ỦY BAN NHÂN DÂN TỈNH THỪA THIÊN HUẾ",
        "Số: 125/TB-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Thừa Thiên Huế, ngày 07 tháng 12 năm 2026",
        "THÔNG BÁO",
        "Nơi nhận:",
        "- Lưu: VT, SNV",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn A",
    ] {
        assert!(
            squeeze(&text).contains(&squeeze(part)),
            "{part} missing from {text}"
        );
    }
}

#[test]
fn the_pdf_text_keeps_vietnamese_intact() {
    let Some(tool) = ["/usr/bin/pdftotext"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftotext (poppler-utils) is needed under CI"
        );
        eprintln!("pdftotext not installed: PDF text check skipped");
        return;
    };
    let pdf = announcement(&announcement_data(), &mut |_| {}).unwrap();
    let dir = std::env::temp_dir().join(format!("chiso-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tb.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    for part in [
        "Thừa Thiên Huế",
        "Chỉ số cải cách hành chính",
        "Ủy ban nhân dân",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}
