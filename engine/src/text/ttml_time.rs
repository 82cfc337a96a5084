//! TTML time expressions (TTML1 §10.3.1, TTML2 §10.3.1): clock times
//! (`hh:mm:ss`, `hh:mm:ss.fff`, `hh:mm:ss:ff[.sub]`) and offset times (`10s`, `1.5h`,
//! `100ms`, `25f`, `5000t`), under the document's timing parameters
//! (`ttp:frameRate`, `ttp:frameRateMultiplier`, `ttp:subFrameRate`, `ttp:tickRate`).
//!
//! Arithmetic is exact: every time is computed as a fraction in `u128` and rounded down
//! to the nanosecond, so `5t` at `ttp:tickRate="10000000"` is exactly 500 ns and frame
//! times at 30000/1001 do not drift.

use std::time::Duration;

/// Why a time expression was refused (see [`super::ttml::TtmlError::InvalidTime`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeProblem {
    /// Not a clock time nor an offset time (a sign, an unknown metric, stray text).
    Syntax,
    /// Minutes or seconds of 60 or more, or a frame number past the frame rate.
    FieldRange,
    /// Further than the limit (or too large to compute).
    TooLarge,
}

impl TimeProblem {
    /// Human-readable reason, for error messages.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            TimeProblem::Syntax => "is not a TTML time expression",
            TimeProblem::FieldRange => "has minutes, seconds or frames out of range",
            TimeProblem::TooLarge => "is past the largest time accepted",
        }
    }
}

/// The document's timing parameters (`ttp:*` on the root `<tt>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimingParams {
    /// `ttp:frameRate` (default 30).
    pub frame_rate: u64,
    /// `ttp:frameRateMultiplier` numerator and denominator (default 1 1).
    pub multiplier: (u64, u64),
    /// `ttp:subFrameRate` (default 1).
    pub sub_frame_rate: u64,
    /// `ttp:tickRate`: default `frameRate * subFrameRate` when a frame rate is given,
    /// else 1 (TTML1 §6.2.11).
    pub tick_rate: u64,
}

impl Default for TimingParams {
    fn default() -> Self {
        TimingParams { frame_rate: 30, multiplier: (1, 1), sub_frame_rate: 1, tick_rate: 1 }
    }
}

const NANOS: u128 = 1_000_000_000;

/// Most fraction digits kept (further digits are below a nanosecond and ignored).
const MAX_FRACTION_DIGITS: usize = 18;

/// A decimal number: `int + frac / 10^frac_digits`.
struct Decimal {
    int: u128,
    frac: u128,
    frac_digits: u32,
}

impl Decimal {
    /// Parses `digits[.digits]`; `None` on anything else (no sign, no exponent).
    fn parse(s: &str) -> Result<Decimal, TimeProblem> {
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TimeProblem::Syntax);
        }
        let mut int: u128 = 0;
        for b in int_part.bytes() {
            int = int
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(b - b'0')))
                .ok_or(TimeProblem::TooLarge)?;
        }
        let (mut frac, mut frac_digits) = (0u128, 0u32);
        if let Some(f) = frac_part {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TimeProblem::Syntax);
            }
            for b in f.bytes().take(MAX_FRACTION_DIGITS) {
                frac = frac * 10 + u128::from(b - b'0');
                frac_digits += 1;
            }
        }
        Ok(Decimal { int, frac, frac_digits })
    }

    /// `self * num / den` in nanoseconds (`num`/`den` is the unit in nanoseconds), rounded down.
    fn scaled_nanos(&self, num: u128, den: u128) -> Result<u128, TimeProblem> {
        if den == 0 {
            return Err(TimeProblem::Syntax);
        }
        let pow = 10u128.pow(self.frac_digits);
        let whole = self
            .int
            .checked_mul(pow)
            .and_then(|v| v.checked_add(self.frac))
            .ok_or(TimeProblem::TooLarge)?;
        let n = whole.checked_mul(num).ok_or(TimeProblem::TooLarge)?;
        Ok(n / pow.checked_mul(den).ok_or(TimeProblem::TooLarge)?)
    }
}

/// Parses one time expression into a document time, refusing anything past `max`.
pub(crate) fn parse_time_expression(
    s: &str,
    p: &TimingParams,
    max: Duration,
) -> Result<Duration, TimeProblem> {
    let s = s.trim();
    let nanos = if s.contains(':') { clock_time(s, p)? } else { offset_time(s, p)? };
    if nanos > max.as_nanos() {
        return Err(TimeProblem::TooLarge);
    }
    let secs = u64::try_from(nanos / NANOS).map_err(|_| TimeProblem::TooLarge)?;
    Ok(Duration::new(secs, (nanos % NANOS) as u32))
}

/// Nanoseconds per frame as a fraction (`num / den`).
fn frame_unit(p: &TimingParams) -> (u128, u128) {
    let (m_num, m_den) = p.multiplier;
    (NANOS * u128::from(m_den), u128::from(p.frame_rate) * u128::from(m_num))
}

fn clock_time(s: &str, p: &TimingParams) -> Result<u128, TimeProblem> {
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec, frames) = match parts.as_slice() {
        [h, m, sec] => (*h, *m, *sec, None),
        [h, m, sec, f] => (*h, *m, *sec, Some(*f)),
        _ => return Err(TimeProblem::Syntax),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(TimeProblem::Syntax);
    }
    let hours = Decimal::parse(h)?;
    let minutes = Decimal::parse(m)?;
    let seconds = Decimal::parse(sec)?;
    if minutes.int >= 60 || seconds.int >= 60 {
        return Err(TimeProblem::FieldRange);
    }
    let mut total = hours.scaled_nanos(3600 * NANOS, 1)?;
    total = total
        .checked_add(minutes.scaled_nanos(60 * NANOS, 1)?)
        .and_then(|t| t.checked_add(seconds.scaled_nanos(NANOS, 1).ok()?))
        .ok_or(TimeProblem::TooLarge)?;
    if let Some(f) = frames {
        if seconds.frac_digits > 0 {
            // `hh:mm:ss.fff:ff` mixes both forms.
            return Err(TimeProblem::Syntax);
        }
        let (frame_part, sub_part) = match f.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (f, None),
        };
        if !digits(frame_part) {
            return Err(TimeProblem::Syntax);
        }
        let frame = Decimal::parse(frame_part)?;
        // Frames run 0..ceil(effective rate) (0..=29 at 29.97 fps).
        let (num, den) = frame_unit(p);
        let (m_num, m_den) = (u128::from(p.multiplier.0), u128::from(p.multiplier.1.max(1)));
        let frames_per_second = (u128::from(p.frame_rate) * m_num).div_ceil(m_den);
        if frame.int >= frames_per_second {
            return Err(TimeProblem::FieldRange);
        }
        total = total.checked_add(frame.scaled_nanos(num, den)?).ok_or(TimeProblem::TooLarge)?;
        if let Some(sub) = sub_part {
            if !digits(sub) {
                return Err(TimeProblem::Syntax);
            }
            let sub = Decimal::parse(sub)?;
            if sub.int >= u128::from(p.sub_frame_rate.max(1)) {
                return Err(TimeProblem::FieldRange);
            }
            total = total
                .checked_add(sub.scaled_nanos(num, den.saturating_mul(u128::from(p.sub_frame_rate.max(1))))?)
                .ok_or(TimeProblem::TooLarge)?;
        }
    }
    Ok(total)
}

fn offset_time(s: &str, p: &TimingParams) -> Result<u128, TimeProblem> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or(TimeProblem::Syntax)?;
    let (number, metric) = s.split_at(split);
    let value = Decimal::parse(number)?;
    let (num, den) = match metric {
        "h" => (3600 * NANOS, 1),
        "m" => (60 * NANOS, 1),
        "s" => (NANOS, 1),
        "ms" => (1_000_000, 1),
        "f" => frame_unit(p),
        "t" => (NANOS, u128::from(p.tick_rate)),
        _ => return Err(TimeProblem::Syntax),
    };
    value.scaled_nanos(num, den)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(3_600_000_000);

    fn t(s: &str) -> Result<Duration, TimeProblem> {
        parse_time_expression(s, &TimingParams::default(), MAX)
    }

    #[test]
    fn clock_times() {
        assert_eq!(t("00:00:01.500"), Ok(Duration::from_millis(1500)));
        assert_eq!(t("01:02:03"), Ok(Duration::from_secs(3723)));
        assert_eq!(t("100:00:00.1"), Ok(Duration::from_millis(360_000_100)));
        // 15 frames at the default 30 fps.
        assert_eq!(t("00:00:02:15"), Ok(Duration::from_millis(2500)));
        assert_eq!(t("00:60:00"), Err(TimeProblem::FieldRange));
        assert_eq!(t("00:00:60"), Err(TimeProblem::FieldRange));
        assert_eq!(t("00:00:01:30"), Err(TimeProblem::FieldRange));
        assert_eq!(t("00:00:01.5:02"), Err(TimeProblem::Syntax));
        assert_eq!(t("-00:00:01"), Err(TimeProblem::Syntax));
        assert_eq!(t("00:01"), Err(TimeProblem::Syntax));
    }

    #[test]
    fn frames_with_multiplier_and_sub_frames() {
        let p = TimingParams { frame_rate: 30, multiplier: (1000, 1001), sub_frame_rate: 2, tick_rate: 60 };
        // 29 frames at 29.97: 29 * 1001 / 30000 s = 0.967633333 s.
        assert_eq!(
            parse_time_expression("00:00:00:29", &p, MAX),
            Ok(Duration::from_nanos(967_633_333))
        );
        // Sub-frame 1 of 2 adds half a frame.
        assert_eq!(
            parse_time_expression("00:00:00:00.1", &p, MAX),
            Ok(Duration::from_nanos(16_683_333))
        );
        assert_eq!(parse_time_expression("00:00:00:00.2", &p, MAX), Err(TimeProblem::FieldRange));
    }

    #[test]
    fn offset_times() {
        assert_eq!(t("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(t("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(t("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(t("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(t("0.0000000019s"), Ok(Duration::from_nanos(1)));
        assert_eq!(t("45f"), Ok(Duration::from_millis(1500)));
        // Default tick rate without a frame rate is 1.
        assert_eq!(t("5t"), Ok(Duration::from_secs(5)));
        let p = TimingParams { tick_rate: 10_000_000, ..TimingParams::default() };
        assert_eq!(parse_time_expression("5t", &p, MAX), Ok(Duration::from_nanos(500)));
        assert_eq!(
            parse_time_expression("600000000t", &p, MAX),
            Ok(Duration::from_secs(60))
        );
        for bad in ["", "s", "10", "10 s", "-5s", "+5s", "1e3s", "5.s", ".5s", "5x", "5sec"] {
            assert_eq!(t(bad), Err(TimeProblem::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn absurd_times_are_refused_not_wrapped() {
        assert_eq!(t("1000001h"), Err(TimeProblem::TooLarge));
        assert_eq!(t("1000000h"), Ok(Duration::from_secs(3_600_000_000)));
        assert_eq!(t("99999999999999999999999999999999999999999999s"), Err(TimeProblem::TooLarge));
        assert_eq!(t("9999999999999:00:00"), Err(TimeProblem::TooLarge));
        let p = TimingParams { tick_rate: 0, ..TimingParams::default() };
        assert_eq!(parse_time_expression("5t", &p, MAX), Err(TimeProblem::Syntax));
    }
}
