//! Tile maps of the provinces (docs/method.md §6.7): each province a square in a grid placed
//! roughly like the country (north at the top, the coast to the east), one grid for the 63
//! provinces until 30/6/2025 and one for the 34 from 1/7/2025. A map where no licensed boundary
//! file can be bundled; every tile carries the province's code and a label short enough for a
//! square.

use chiso_interchange::table::{TableRow, read_csv};

/// A province's square.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    /// The statistics-office code, two digits.
    pub code: String,
    pub row: u32,
    pub col: u32,
    /// The province's name, shortened where a square cannot hold it (TT Huế, BR–VT, TP HCM).
    pub label: String,
}

/// Which provinces a grid places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// The 63 provinces until 30/6/2025.
    Before2025,
    /// The 34 provinces from 1/7/2025.
    From2025,
}

pub const TILES_63: &str = include_str!("../../../data/units/tiles-63.csv");
pub const TILES_34: &str = include_str!("../../../data/units/tiles-34.csv");

/// The grid of an era.
pub fn grid(era: Era) -> Vec<Tile> {
    let (name, text) = match era {
        Era::Before2025 => ("tiles-63.csv", TILES_63),
        Era::From2025 => ("tiles-34.csv", TILES_34),
    };
    let table = read_csv(name, text.as_bytes()).unwrap_or_else(|e| panic!("bundled {name}: {e}"));
    let column = |row: &TableRow, header: &str| {
        let at = table
            .column(header)
            .unwrap_or_else(|| panic!("bundled {name} has no {header}"));
        row.get(Some(at)).to_string()
    };
    table
        .rows
        .iter()
        .map(|row| Tile {
            code: column(row, "unit_code"),
            row: column(row, "row").parse().expect("bundled tile row"),
            col: column(row, "col").parse().expect("bundled tile col"),
            label: column(row, "label"),
        })
        .collect()
}

/// The grid that places every one of `codes`: the 34 provinces' when the year is 2025 or later
/// and they all are provinces from 1/7/2025, else the 63 provinces' when they all are; `None`
/// when some code is no province of either.
pub fn grid_for(codes: &[&str], year: i64) -> Option<(Era, Vec<Tile>)> {
    let covers = |tiles: &[Tile]| {
        codes
            .iter()
            .all(|code| tiles.iter().any(|t| t.code == *code))
    };
    let eras = if year >= 2025 {
        [Era::From2025, Era::Before2025]
    } else {
        [Era::Before2025, Era::From2025]
    };
    eras.into_iter()
        .map(|era| (era, grid(era)))
        .find(|(_, tiles)| covers(tiles))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_province_has_one_square_and_no_two_share_one() {
        for (era, provinces) in [
            (Era::Before2025, crate::provinces_63()),
            (Era::From2025, crate::provinces_34()),
        ] {
            let tiles = grid(era);
            let codes: HashSet<&str> = tiles.iter().map(|t| t.code.as_str()).collect();
            let expected: HashSet<&str> = provinces.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(codes, expected, "{era:?}");
            assert_eq!(codes.len(), tiles.len(), "{era:?}: a code placed twice");
            let cells: HashSet<(u32, u32)> = tiles.iter().map(|t| (t.row, t.col)).collect();
            assert_eq!(cells.len(), tiles.len(), "{era:?}: two tiles in one square");
            assert!(
                tiles.iter().all(|t| t.label.chars().count() <= 12),
                "{era:?}"
            );
        }
    }

    #[test]
    fn the_grid_follows_the_year_and_the_codes() {
        // 44 is Quảng Bình before the merger and Quảng Trị after it: the year decides.
        assert_eq!(grid_for(&["44", "46"], 2024).unwrap().0, Era::Before2025);
        assert_eq!(grid_for(&["44", "46"], 2025).unwrap().0, Era::From2025);
        // 45 (Quảng Trị before the merger) exists only in the 63.
        assert_eq!(grid_for(&["45"], 2026).unwrap().0, Era::Before2025);
        assert!(grid_for(&["99"], 2026).is_none());
        // The north is above the south, the coast east of the mountains.
        let tiles = grid(Era::Before2025);
        let at = |code: &str| tiles.iter().find(|t| t.code == code).unwrap().clone();
        assert!(at("01").row < at("46").row && at("46").row < at("79").row);
        assert!(at("11").col < at("22").col);
    }
}
