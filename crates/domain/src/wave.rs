//! The survey wave (đợt khảo sát) state machine: draft → open ⇄ closed (docs/method.md, the
//! SIPAS survey). A draft is set up; an open wave takes responses within its dates; a closed
//! one takes none online (paper imports still land: forms are typed after the close) and can be
//! opened again. The rules live here, without IO; the store decodes its `state` column into
//! [`WaveState`] and asks [`check_transition`] and [`takes_answers`].

use std::fmt;

use chrono::NaiveDate;

/// Where a wave stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaveState {
    /// Being set up: units, services, devices; no responses yet.
    Draft,
    /// Takes responses (within its dates).
    Open,
    /// Takes no responses online; paper imports still land.
    Closed,
}

impl WaveState {
    pub const ALL: [WaveState; 3] = [WaveState::Draft, WaveState::Open, WaveState::Closed];

    /// The stored name (the `waves.state` column).
    pub fn as_str(self) -> &'static str {
        match self {
            WaveState::Draft => "draft",
            WaveState::Open => "open",
            WaveState::Closed => "closed",
        }
    }

    /// The state of a stored name.
    pub fn parse(text: &str) -> Option<WaveState> {
        WaveState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The states a wave may go to from this one.
    pub fn next_states(self) -> &'static [WaveState] {
        match self {
            WaveState::Draft | WaveState::Closed => &[WaveState::Open],
            WaveState::Open => &[WaveState::Closed],
        }
    }

    /// Whether the wave takes answers at all (its dates aside).
    pub fn is_open(self) -> bool {
        self == WaveState::Open
    }
}

impl fmt::Display for WaveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`WaveState`]'s.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown wave state {0:?}")]
pub struct UnknownWaveState(pub String);

impl TryFrom<String> for WaveState {
    type Error = UnknownWaveState;

    fn try_from(text: String) -> Result<WaveState, UnknownWaveState> {
        WaveState::parse(&text).ok_or(UnknownWaveState(text))
    }
}

/// Why a wave cannot change state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WaveTransitionError {
    #[error("a wave cannot go from {from} to {to}")]
    NotAllowed { from: WaveState, to: WaveState },
    #[error("the wave has no units")]
    NoUnits,
}

/// Checks a transition: only along [`WaveState::next_states`], and opening needs at least one
/// unit.
pub fn check_transition(
    from: WaveState,
    to: WaveState,
    units: usize,
) -> Result<(), WaveTransitionError> {
    if !from.next_states().contains(&to) {
        return Err(WaveTransitionError::NotAllowed { from, to });
    }
    if to == WaveState::Open && units == 0 {
        return Err(WaveTransitionError::NoUnits);
    }
    Ok(())
}

/// Why a wave takes no answers on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WaveClosed {
    #[error("the survey is not open (it is {0})")]
    NotOpen(WaveState),
    #[error("the survey opens on {0}")]
    NotYetOpen(NaiveDate),
    #[error("the survey closed on {0}")]
    AlreadyClosed(NaiveDate),
}

/// Whether a wave takes answers on `today` (the Vietnam date): it is open, and today is within
/// its dates when it has them (both ends included). The one place this rule is written.
pub fn takes_answers(
    state: WaveState,
    opens_on: Option<NaiveDate>,
    closes_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), WaveClosed> {
    if !state.is_open() {
        return Err(WaveClosed::NotOpen(state));
    }
    if let Some(opens) = opens_on
        && today < opens
    {
        return Err(WaveClosed::NotYetOpen(opens));
    }
    if let Some(closes) = closes_on
        && today > closes
    {
        return Err(WaveClosed::AlreadyClosed(closes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for state in WaveState::ALL {
            assert_eq!(WaveState::parse(state.as_str()), Some(state));
            assert_eq!(WaveState::try_from(state.to_string()), Ok(state));
        }
        assert_eq!(
            WaveState::try_from("paused".to_string()),
            Err(UnknownWaveState("paused".into()))
        );
    }

    #[test]
    fn transitions_follow_the_machine() {
        use WaveState::*;
        assert_eq!(check_transition(Draft, Open, 1), Ok(()));
        assert_eq!(check_transition(Open, Closed, 0), Ok(()));
        assert_eq!(check_transition(Closed, Open, 3), Ok(()));
        assert_eq!(
            check_transition(Draft, Open, 0),
            Err(WaveTransitionError::NoUnits)
        );
        for (from, to) in [
            (Draft, Closed),
            (Open, Open),
            (Closed, Closed),
            (Open, Draft),
        ] {
            assert_eq!(
                check_transition(from, to, 1),
                Err(WaveTransitionError::NotAllowed { from, to })
            );
        }
    }

    #[test]
    fn an_open_wave_takes_answers_within_its_dates() {
        let open = WaveState::Open;
        assert_eq!(takes_answers(open, None, None, day(1)), Ok(()));
        assert_eq!(
            takes_answers(open, Some(day(2)), Some(day(4)), day(2)),
            Ok(())
        );
        assert_eq!(
            takes_answers(open, Some(day(2)), Some(day(4)), day(4)),
            Ok(())
        );
        assert_eq!(
            takes_answers(open, Some(day(2)), None, day(1)),
            Err(WaveClosed::NotYetOpen(day(2)))
        );
        assert_eq!(
            takes_answers(open, None, Some(day(4)), day(5)),
            Err(WaveClosed::AlreadyClosed(day(4)))
        );
        for state in [WaveState::Draft, WaveState::Closed] {
            assert_eq!(
                takes_answers(state, None, None, day(1)),
                Err(WaveClosed::NotOpen(state))
            );
        }
    }
}
