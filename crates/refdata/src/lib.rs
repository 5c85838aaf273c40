//! Reference data bundled in the binary from the repository's `data/` folder (docs/method.md §2.3–§2.4, §6.1–§6.2, §6.5, §8):
//! the sample frameworks, the provinces before and after the 2025 merger with their lineage,
//! the structures of the national indices (`data/indices/`), and the published figures used
//! in demos and tests.

pub mod published;

pub mod tiles;

use chiso_domain::Framework;
use chiso_domain::change::Lineage;
use chiso_domain::indices::{Catalogue, Roster, RosterUnit, Structure};
use chiso_interchange::framework_io::framework_from_toml;
use chiso_interchange::indices::structure_from_toml;
use chiso_interchange::table::{Table, read_csv};
use chiso_interchange::units_io::{UnitRecord, read_lineage, read_units};

/// A framework shipped with chiso.
pub struct BundledFramework {
    pub id: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

/// The bundled frameworks, all illustrative samples (docs/method.md §2.2).
pub const FRAMEWORKS: &[BundledFramework] = &[
    BundledFramework {
        id: "par-province-2020",
        file: "par-province-2020.toml",
        text: include_str!("../../../data/frameworks/par-province-2020.toml"),
    },
    BundledFramework {
        id: "par-province-2022",
        file: "par-province-2022.toml",
        text: include_str!("../../../data/frameworks/par-province-2022.toml"),
    },
    BundledFramework {
        id: "department-2025",
        file: "department-2025.toml",
        text: include_str!("../../../data/frameworks/department-2025.toml"),
    },
    BundledFramework {
        id: "commune-2025",
        file: "commune-2025.toml",
        text: include_str!("../../../data/frameworks/commune-2025.toml"),
    },
];

/// A bundled framework by id, parsed and checked.
pub fn framework(id: &str) -> Option<Framework> {
    let bundled = FRAMEWORKS.iter().find(|f| f.id == id)?;
    Some(
        framework_from_toml(bundled.file, bundled.text)
            .unwrap_or_else(|e| panic!("bundled framework {id} is invalid: {e}")),
    )
}

/// A structure of a national index shipped with chiso (docs/method.md §5.7).
pub struct BundledStructure {
    pub id: &'static str,
    pub text: &'static str,
}

/// The bundled index structures, one TOML file each in `data/indices/`.
pub const STRUCTURES: &[BundledStructure] = &[
    BundledStructure {
        id: "papi-2011",
        text: include_str!("../../../data/indices/papi-2011.toml"),
    },
    BundledStructure {
        id: "papi-2018",
        text: include_str!("../../../data/indices/papi-2018.toml"),
    },
    BundledStructure {
        id: "par-province-2012",
        text: include_str!("../../../data/indices/par-province-2012.toml"),
    },
    BundledStructure {
        id: "par-province-1149",
        text: include_str!("../../../data/indices/par-province-1149.toml"),
    },
    BundledStructure {
        id: "par-province-876",
        text: include_str!("../../../data/indices/par-province-876.toml"),
    },
    BundledStructure {
        id: "par-ministry",
        text: include_str!("../../../data/indices/par-ministry.toml"),
    },
    BundledStructure {
        id: "sipas-2017",
        text: include_str!("../../../data/indices/sipas-2017.toml"),
    },
    BundledStructure {
        id: "sipas-2022",
        text: include_str!("../../../data/indices/sipas-2022.toml"),
    },
    BundledStructure {
        id: "pci",
        text: include_str!("../../../data/indices/pci.toml"),
    },
    BundledStructure {
        id: "ict-index",
        text: include_str!("../../../data/indices/ict-index.toml"),
    },
    BundledStructure {
        id: "dti",
        text: include_str!("../../../data/indices/dti.toml"),
    },
    BundledStructure {
        id: "service-766",
        text: include_str!("../../../data/indices/service-766.toml"),
    },
];

/// Every bundled structure, parsed and checked.
pub fn structures() -> Vec<Structure> {
    STRUCTURES
        .iter()
        .map(|s| {
            structure_from_toml(&format!("{}.toml", s.id), s.text)
                .unwrap_or_else(|e| panic!("bundled structure {} is invalid: {e}", s.id))
        })
        .collect()
}

/// The catalogue of the bundled structures: at most one per index and year.
pub fn index_catalogue() -> Catalogue {
    Catalogue::new(structures()).unwrap_or_else(|e| panic!("bundled structures: {e}"))
}

/// The provinces before and after the 2025 merger, for the checks of index results.
pub fn province_roster() -> Roster {
    let units = |records: Vec<UnitRecord>| {
        records
            .into_iter()
            .map(|u| RosterUnit {
                name: u.name.unwrap_or_default(),
                code: u.code,
            })
            .collect()
    };
    Roster {
        historical_63: units(provinces_63()),
        new_34: units(provinces_34()),
    }
}

fn table(name: &str, text: &str) -> Table {
    read_csv(name, text.as_bytes()).unwrap_or_else(|e| panic!("bundled {name}: {e}"))
}

/// The 63 provinces until 30/6/2025, with statistics-office codes and regions (docs/method.md §6.1).
pub fn provinces_63() -> Vec<UnitRecord> {
    read_units(&table("provinces-63.csv", PROVINCES_63)).expect("bundled provinces-63.csv is valid")
}

/// The 34 provinces from 1/7/2025 (docs/method.md §6.2, §6.4).
pub fn provinces_34() -> Vec<UnitRecord> {
    read_units(&table("provinces-34.csv", PROVINCES_34)).expect("bundled provinces-34.csv is valid")
}

/// Lineage from the 63 provinces to the 34 (Resolution 202/2025/QH15), effective 1/7/2025.
pub fn lineage_2025() -> Lineage {
    read_lineage(&table("lineage-2025.csv", LINEAGE_2025))
        .expect("bundled lineage-2025.csv is valid")
}

pub const PROVINCES_63: &str = include_str!("../../../data/units/provinces-63.csv");
pub const PROVINCES_34: &str = include_str!("../../../data/units/provinces-34.csv");
pub const LINEAGE_2025: &str = include_str!("../../../data/units/lineage-2025.csv");

/// Published PAR INDEX figures (docs/method.md §8; source keys §8.5): `year,level,unit_code,unit_name,index,rank,…`.
pub const PUBLISHED_PAR_INDEX: &str = include_str!("../../../data/published/par-index.csv");
/// Published components of a province's PAR INDEX (results, impact, SIPAS, leaders).
pub const PUBLISHED_PAR_COMPONENTS: &str =
    include_str!("../../../data/published/par-components.csv");
/// Published SIPAS figures.
pub const PUBLISHED_SIPAS: &str = include_str!("../../../data/published/sipas.csv");
/// Published PAPI totals.
pub const PUBLISHED_PAPI: &str = include_str!("../../../data/published/papi.csv");
