//! Writes the hostile input files into a folder, for `bench/security-probe.sh`, which tries
//! them on a running server from outside:
//! `cargo run -p chiso-interchange --example hostile_files --features test-support -- DIR`.

use chiso_interchange::hostile;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: hostile_files DIR");
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).expect("the folder can be created");
    let units = ["unit_code", "unit_name", "kind", "parent_code"];
    let files: [(&str, Vec<u8>); 4] = [
        ("dense-range.xlsx", hostile::dense_range_xlsx(&units)),
        ("bomb.xlsx", hostile::xlsx_bomb(300 << 20, &units, "x")),
        ("wide-header.csv", hostile::wide_header_csv(&units, 150_000)),
        (
            "wide-header.xlsx",
            hostile::wide_header_xlsx(&units, 150_000),
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), &bytes).expect("the file is written");
        println!("{name}\t{} bytes", bytes.len());
    }
}
