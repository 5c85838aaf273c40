use super::*;

#[test]
fn dates_read_day_first_and_names_survive_headers() {
    assert_eq!(
        day_first_dates("the self-assessment deadline (2026-12-20) has passed"),
        "the self-assessment deadline (20/12/2026) has passed"
    );
    assert_eq!(
        day_first_dates("version 12026-12-201"),
        "version 12026-12-201"
    );
    assert_eq!(ascii_name("Báo cáo \"quý\" 4.pdf"), "Bao cao _quy_ 4.pdf");
    assert_eq!(rfc5987("Báo cáo.pdf"), "B%C3%A1o%20c%C3%A1o.pdf");
    assert_eq!(decimal("1,5"), Ok(Some("1.5".into())));
    assert_eq!(decimal(" "), Ok(None));
    assert_eq!(decimal("1,2,3"), Err(()));
    assert_eq!(decimal("abc"), Err(()));
}
