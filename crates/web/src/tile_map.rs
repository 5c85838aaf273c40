//! A tile map of the provinces (docs/method.md §6.7), drawn on the server as SVG: each
//! province a square placed like the country, coloured by its class (a classification band, a
//! quartile group), with a short name and its value. The SVG carries its own colours (no page
//! style needed), so the page, a report or a workbook can show the same picture. A province
//! without a value is grey and named "không có số liệu" in the text alternative.

use askama::Template;
use chiso_refdata::tiles::{self, Era};

use crate::i18n::{self, Lang};

/// Width and height of a square, and the gap between squares.
const TILE_W: u32 = 72;
const TILE_H: u32 = 40;
const GAP: u32 = 4;

/// Fill colours by class, best first; the last repeats for further classes.
const FILLS: [&str; 4] = ["#2e8b57", "#3b6fd8", "#d99100", "#b3261e"];
const NO_DATA_FILL: &str = "#dfe3ea";
const NO_DATA_INK: &str = "#3d4757";

/// A province to place: its statistics-office code, name, value and class.
pub struct TileInput {
    pub code: String,
    pub name: String,
    pub value: Option<f64>,
    /// The class (0 = best); `None` without a value.
    pub class: Option<usize>,
    /// Where the square links (the province's page).
    pub href: Option<String>,
}

/// One square of the map.
pub struct Square {
    pub x: u32,
    pub y: u32,
    pub label: String,
    /// The value written the page's way, or empty.
    pub value: String,
    /// The full name and value, for the square's tooltip.
    pub title: String,
    pub fill: &'static str,
    pub ink: &'static str,
    pub href: Option<String>,
}

/// A map ready to draw.
#[derive(Template)]
#[template(path = "charts/tile_map.html")]
pub struct TileMap {
    pub width: u32,
    pub height: u32,
    pub tile_w: u32,
    pub tile_h: u32,
    pub squares: Vec<Square>,
    /// Colour and label of each class shown, then "no data" when a province has none.
    pub legend: Vec<(&'static str, String)>,
    /// The text alternative: each class with its provinces.
    pub alt: String,
    pub caption: String,
    /// How to read the map, under it.
    pub hint: String,
}

fn fill_of(class: usize) -> &'static str {
    FILLS[class.min(FILLS.len() - 1)]
}

impl TileMap {
    /// The map of `inputs` for a year: the grid of the provinces of that year (the 34 from
    /// 2025 when the codes are all theirs, else the 63); `None` when some code is no province.
    /// `classes` names the classes by index (the legend).
    pub fn new(
        lang: Lang,
        year: i64,
        caption: String,
        inputs: &[TileInput],
        classes: &[String],
        decimals: usize,
    ) -> Option<TileMap> {
        let codes: Vec<&str> = inputs.iter().map(|i| i.code.as_str()).collect();
        let (era, grid) = tiles::grid_for(&codes, year)?;
        let no_data = i18n::text(lang, "results.map_no_data").to_string();
        let squares: Vec<Square> = grid
            .iter()
            .map(|tile| {
                let input = inputs.iter().find(|i| i.code == tile.code);
                let value = input.and_then(|i| i.value);
                let class = input.and_then(|i| i.class).filter(|_| value.is_some());
                let name = input.map_or(tile.label.clone(), |i| i.name.clone());
                let value_text = value.map(|v| i18n::number(lang, v, decimals));
                Square {
                    x: tile.col * (TILE_W + GAP),
                    y: tile.row * (TILE_H + GAP),
                    label: tile.label.clone(),
                    title: format!(
                        "{name}: {}",
                        value_text.clone().unwrap_or_else(|| no_data.clone())
                    ),
                    value: value_text.unwrap_or_default(),
                    fill: class.map_or(NO_DATA_FILL, fill_of),
                    ink: if class.is_some() {
                        "#ffffff"
                    } else {
                        NO_DATA_INK
                    },
                    href: input.and_then(|i| i.href.clone()),
                }
            })
            .collect();
        let (rows, cols) = grid
            .iter()
            .fold((0, 0), |(r, c), t| (r.max(t.row + 1), c.max(t.col + 1)));
        let mut legend: Vec<(&'static str, String)> = Vec::new();
        let mut alt = vec![caption.clone()];
        for (class, label) in classes.iter().enumerate() {
            let names = names_where(inputs, |i| i.value.is_some() && i.class == Some(class));
            if !names.is_empty() {
                legend.push((fill_of(class), label.clone()));
                alt.push(format!("{label}: {}", names.join(", ")));
            }
        }
        let missing: Vec<String> = grid
            .iter()
            .filter(|t| {
                !inputs
                    .iter()
                    .any(|i| i.code == t.code && i.value.is_some() && i.class.is_some())
            })
            .map(|t| {
                inputs
                    .iter()
                    .find(|i| i.code == t.code)
                    .map_or(t.label.clone(), |i| i.name.clone())
            })
            .collect();
        if !missing.is_empty() {
            legend.push((NO_DATA_FILL, no_data.clone()));
            alt.push(format!("{no_data}: {}", missing.join(", ")));
        }
        let provinces = match era {
            Era::Before2025 => "results.map_63",
            Era::From2025 => "results.map_34",
        };
        Some(TileMap {
            width: cols * (TILE_W + GAP) - GAP,
            height: rows * (TILE_H + GAP) - GAP,
            tile_w: TILE_W,
            tile_h: TILE_H,
            squares,
            legend,
            alt: alt.join(". ") + ".",
            caption: format!("{caption} ({})", i18n::text(lang, provinces)),
            hint: i18n::text(lang, "results.map_hint").to_string(),
        })
    }
}

fn names_where(inputs: &[TileInput], keep: impl Fn(&TileInput) -> bool) -> Vec<String> {
    inputs
        .iter()
        .filter(|i| keep(i))
        .map(|i| i.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str, name: &str, value: Option<f64>, class: Option<usize>) -> TileInput {
        TileInput {
            code: code.into(),
            name: name.into(),
            value,
            class,
            href: Some(format!("/p/{code}")),
        }
    }

    #[test]
    fn squares_follow_the_grid_of_the_year_with_classes_and_no_data() {
        let inputs = vec![
            input("46", "Thừa Thiên Huế", Some(88.47), Some(0)),
            input("44", "Quảng Bình", Some(82.33), Some(1)),
            input("01", "Hà Nội", None, None),
        ];
        let classes = vec!["Tốt".to_string(), "Khá".to_string()];
        let map = TileMap::new(Lang::Vi, 2020, "Chỉ số".into(), &inputs, &classes, 2).unwrap();
        assert_eq!(map.squares.len(), 63);
        let hue = map.squares.iter().find(|s| s.label == "TT Huế").unwrap();
        assert_eq!(hue.value, "88,47");
        assert_eq!(hue.fill, FILLS[0]);
        assert_eq!(hue.href.as_deref(), Some("/p/46"));
        let hanoi = map.squares.iter().find(|s| s.label == "Hà Nội").unwrap();
        assert_eq!(hanoi.fill, NO_DATA_FILL);
        assert!(hanoi.title.contains("không có số liệu"), "{}", hanoi.title);
        assert!(map.alt.contains("Tốt: Thừa Thiên Huế"), "{}", map.alt);
        assert!(map.alt.contains("Hà Nội"), "{}", map.alt);
        assert_eq!(map.legend.len(), 3);
        assert!(map.width > 0 && map.height > map.width, "a tall country");
        // In 2025 the same codes are placed on the 34 provinces' grid.
        let map = TileMap::new(Lang::Vi, 2025, "Chỉ số".into(), &inputs, &classes, 2).unwrap();
        assert_eq!(map.squares.len(), 34);
        let svg = map.render().unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("88,47"), "{svg}");
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn codes_that_are_no_province_draw_no_map() {
        let inputs = vec![input("S01", "Sở Nội vụ", Some(90.0), Some(0))];
        assert!(TileMap::new(Lang::Vi, 2026, "x".into(), &inputs, &[], 2).is_none());
    }
}
