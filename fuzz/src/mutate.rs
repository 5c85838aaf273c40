//! A seeded mutator for the bounded run under `cargo test`: the inputs it makes from a
//! corpus depend only on the seed, so a failure found in CI is found again on any machine.
//! Without coverage feedback it is no substitute for libFuzzer, but it shakes every parser
//! with bytes near the corpus on every test run.

/// xorshift64*: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A seed from a name (FNV-1a), so that each target draws its own sequence.
    pub fn for_name(name: &str) -> Rng {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for byte in name.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(hash)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Bytes that mean something to one of the formats: separators, quotes, line ends, markup,
/// digits and signs, a byte-order mark, a byte that is never UTF-8.
const SPECIAL: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b";",
    b":",
    b"=",
    b"'",
    b"<",
    b">",
    b"/",
    b"&",
    b" ",
    b"\t",
    b"0",
    b"1",
    b"9",
    b"-",
    b"+",
    b".",
    b"e",
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\0",
    b"=>",
    b"==",
];

/// Tokens worth inserting whole: XML of a sheet, TOML, JSON and CSV pieces the parsers look
/// for, numbers at the edges.
const TOKENS: &[&[u8]] = &[
    b"<row r=\"1\">",
    b"</row>",
    b"<c r=\"A1\" t=\"s\"><v>0</v></c>",
    b"<c r=\"XFD1048576\"><v>1</v></c>",
    b"<c r=\"B2\" t=\"inlineStr\"><is><t>x</t></is></c>",
    b"<c r=\"C3\" t=\"str\"><f>1+1</f><v>2</v></c>",
    b"<c r=\"A2\" t=\"b\"><v>1</v></c>",
    b"<c r=\"A3\" t=\"e\"><v>#N/A</v></c>",
    b"<c r=\"A4\" s=\"1\"><v>45000.5</v></c>",
    b"<sheetData>",
    b"</sheetData>",
    b"<mergeCell ref=\"A1:H1\"/>",
    b"<si><t>x</t></si>",
    b"<![CDATA[",
    b"&amp;",
    b"&#x1F600;",
    b"\n== xl/sharedStrings.xml\n<sst count=\"1\">",
    b"\n== xl/worksheets/sheet2.xml\n",
    b"\n== xl/styles.xml\n<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts><cellXfs><xf numFmtId=\"164\"/></cellXfs></styleSheet>",
    b"[[nodes]]\ncode = \"1\"\ntitle = \"x\"\nmax_points = 10\n",
    b"[[items]]\n",
    b"[scale]\n",
    b"\"answers\":{",
    b"\"expectations\":[",
    b"null",
    b"true",
    b"1e308",
    b"-0",
    b"NaN",
    b"inf",
    b"9999999999999999999",
    b"4294967296",
    b"0.000001",
    b"1000000",
    b"levels: 0; 0.5; 1",
    b"threshold(x): 100 => 1; else => 0",
    b"proportional(x)",
    b"survey(sipas)",
    b"unit_code,respondent_id,channel,weight",
    b"unit_code,code,points,input",
    b"successor_code,predecessor_code,weight",
    b"index,year,unit_code,measure,value",
    b"30/06/2027",
    b"Th\xc6\xb0\xe1\xbb\x9dng xuy\xc3\xaan",
];

/// A mutation of `input`: one to eight edits, or a splice with `other` then edits.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
    let mut out = input.to_vec();
    if !other.is_empty() && rng.below(8) == 0 {
        let cut = rng.below(out.len() + 1);
        let from = rng.below(other.len());
        out.truncate(cut);
        out.extend_from_slice(&other[from..]);
    }
    for _ in 0..1 + rng.below(8) {
        edit(rng, &mut out);
    }
    out.truncate(max_len);
    out
}

fn edit(rng: &mut Rng, out: &mut Vec<u8>) {
    let at = |rng: &mut Rng, out: &Vec<u8>| rng.below(out.len() + 1);
    match rng.below(9) {
        // Flip a bit.
        0 if !out.is_empty() => {
            let i = rng.below(out.len());
            out[i] ^= 1 << rng.below(8);
        }
        // Set a byte to anything.
        1 if !out.is_empty() => {
            let i = rng.below(out.len());
            out[i] = rng.next_u64() as u8;
        }
        // Insert a special byte sequence.
        2 => {
            let i = at(rng, out);
            let s = SPECIAL[rng.below(SPECIAL.len())];
            out.splice(i..i, s.iter().copied());
        }
        // Replace a byte with a special sequence.
        3 if !out.is_empty() => {
            let i = rng.below(out.len());
            let s = SPECIAL[rng.below(SPECIAL.len())];
            out.splice(i..i + 1, s.iter().copied());
        }
        // Insert a token.
        4 => {
            let i = at(rng, out);
            let t = TOKENS[rng.below(TOKENS.len())];
            out.splice(i..i, t.iter().copied());
        }
        // Delete a range.
        5 if !out.is_empty() => {
            let i = rng.below(out.len());
            let n = 1 + rng.below((out.len() - i).min(64));
            out.drain(i..i + n);
        }
        // Repeat a range (rows, cells, elements).
        6 if !out.is_empty() => {
            let i = rng.below(out.len());
            let n = 1 + rng.below((out.len() - i).min(256));
            let piece: Vec<u8> = out[i..i + n].to_vec();
            let times = 1 + rng.below(4);
            let j = at(rng, out);
            for _ in 0..times {
                out.splice(j..j, piece.iter().copied());
            }
        }
        // Change a digit, or a number's size.
        7 => {
            let digits: Vec<usize> = (0..out.len())
                .filter(|&i| out[i].is_ascii_digit())
                .collect();
            if !digits.is_empty() {
                let i = digits[rng.below(digits.len())];
                match rng.below(3) {
                    0 => out[i] = b'0' + rng.below(10) as u8,
                    1 => out.splice(i..i, b"99999".iter().copied()).for_each(drop),
                    _ => {
                        out.remove(i);
                    }
                }
            }
        }
        // Truncate.
        _ if !out.is_empty() => {
            let i = rng.below(out.len());
            out.truncate(i);
        }
        _ => out.push(rng.next_u64() as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let run = || {
            let mut rng = Rng::for_name("table_csv");
            (0..100)
                .map(|_| mutate(&mut rng, b"a,b\n1,2\n", b"x,y", 4096))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
