use super::*;

#[test]
fn names_survive_headers_and_decimals_read_with_commas() {
    assert_eq!(ascii_name("Báo cáo \"quý\" 4.pdf"), "Bao cao _quy_ 4.pdf");
    assert_eq!(rfc5987("Báo cáo.pdf"), "B%C3%A1o%20c%C3%A1o.pdf");
    assert_eq!(decimal("1,5"), Ok(Some("1.5".into())));
    assert_eq!(decimal(" "), Ok(None));
    assert_eq!(decimal("1,2,3"), Err(()));
    assert_eq!(decimal("abc"), Err(()));
}
