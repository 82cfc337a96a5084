//! Channel mapping from the decoded layout to the device's (sans-I/O).
//!
//! Channels are in the WAVE/SMPTE order that decoders output (FL FR FC LFE BL BR SL SR).
//! - mono to two or more: the same signal on the front pair;
//! - stereo to mono: the average;
//! - three or more channels to fewer: down-mixed to stereo with the ITU/ATSC
//!   coefficients (L = FL + 0.707 FC + 0.707 BL + 0.707 SL, back centre 0.5 to each side,
//!   LFE dropped), not normalised (as mpv does by default: dialogue keeps its level; the
//!   output is clamped to full scale at the device);
//! - stereo to more channels (and a down-mix where the device has other than 1, 2 or the
//!   source's count): the front pair, the other channels silent.

/// 1/sqrt(2): -3 dB.
const MINUS_3DB: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// The left-output coefficient of each input channel for a layout of `channels`; the right
/// output mirrors it (see [`right_of`]). `None` past the known layouts (more than 8).
fn left_coefficients(channels: usize) -> Option<&'static [f32]> {
    const C: f32 = MINUS_3DB;
    const H: f32 = 0.5;
    Some(match channels {
        // FL FR FC
        3 => &[1.0, 0.0, C],
        // FL FR BL BR (quad)
        4 => &[1.0, 0.0, C, 0.0],
        // FL FR FC BL BR
        5 => &[1.0, 0.0, C, C, 0.0],
        // FL FR FC LFE BL BR (5.1)
        6 => &[1.0, 0.0, C, 0.0, C, 0.0],
        // FL FR FC LFE BC SL SR (6.1)
        7 => &[1.0, 0.0, C, 0.0, H, C, 0.0],
        // FL FR FC LFE BL BR SL SR (7.1)
        8 => &[1.0, 0.0, C, 0.0, C, 0.0, C, 0.0],
        _ => return None,
    })
}

/// The right-output coefficient of input channel `i`, from the left row: left/right pairs
/// swap, centre channels keep theirs.
fn right_of(left: &[f32], channels: usize, i: usize) -> f32 {
    // Index of the channel mirrored with `i` in each layout (centre/LFE mirror themselves).
    let mirror: &[usize] = match channels {
        3 => &[1, 0, 2],
        4 => &[1, 0, 3, 2],
        5 => &[1, 0, 2, 4, 3],
        6 => &[1, 0, 2, 3, 5, 4],
        7 => &[1, 0, 2, 3, 4, 6, 5],
        8 => &[1, 0, 2, 3, 5, 4, 7, 6],
        _ => return 0.0,
    };
    left[mirror[i]]
}

/// The stereo down-mix of one frame of three or more channels (beyond eight, the first two).
fn downmix_frame(frame: &[f32]) -> (f32, f32) {
    let n = frame.len();
    match left_coefficients(n) {
        Some(left) => {
            let mut l = 0.0;
            let mut r = 0.0;
            for (i, &s) in frame.iter().enumerate() {
                l += left[i] * s;
                r += right_of(left, n, i) * s;
            }
            (l, r)
        }
        None => (frame[0], frame[1]),
    }
}

/// Maps interleaved `input` of `from` channels to `to` channels (see the module docs).
pub fn remix(input: &[f32], from: usize, to: usize) -> Vec<f32> {
    if from == to || from == 0 || to == 0 {
        return input.to_vec();
    }
    let frames = input.len() / from;
    let mut out = vec![0.0f32; frames * to];
    for (src, dst) in input.chunks_exact(from).zip(out.chunks_exact_mut(to)) {
        let (l, r) = match from {
            1 => (src[0], src[0]),
            2 => (src[0], src[1]),
            _ => downmix_frame(src),
        };
        if to == 1 {
            dst[0] = 0.5 * (l + r);
        } else {
            dst[0] = l;
            dst[1] = r;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_to_stereo_duplicates() {
        assert_eq!(remix(&[0.1, -0.2], 1, 2), vec![0.1, 0.1, -0.2, -0.2]);
    }

    #[test]
    fn stereo_to_mono_averages() {
        assert_eq!(remix(&[0.2, 0.4, -1.0, 1.0], 2, 1), vec![0.3f32, 0.0]);
    }

    #[test]
    fn stereo_to_5_1_fills_the_front_pair_only() {
        assert_eq!(remix(&[0.2, 0.4], 2, 6), vec![0.2, 0.4, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(remix(&[0.7], 1, 6), vec![0.7, 0.7, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn five_one_downmix_uses_the_standard_coefficients() {
        // FL FR FC LFE BL BR, each channel alone.
        let c = MINUS_3DB;
        let cases: [([f32; 6], (f32, f32)); 6] = [
            ([1.0, 0.0, 0.0, 0.0, 0.0, 0.0], (1.0, 0.0)),
            ([0.0, 1.0, 0.0, 0.0, 0.0, 0.0], (0.0, 1.0)),
            ([0.0, 0.0, 1.0, 0.0, 0.0, 0.0], (c, c)),
            ([0.0, 0.0, 0.0, 1.0, 0.0, 0.0], (0.0, 0.0)),
            ([0.0, 0.0, 0.0, 0.0, 1.0, 0.0], (c, 0.0)),
            ([0.0, 0.0, 0.0, 0.0, 0.0, 1.0], (0.0, c)),
        ];
        for (frame, (l, r)) in cases {
            assert_eq!(remix(&frame, 6, 2), vec![l, r], "{frame:?}");
        }
        // To mono: the average of the stereo down-mix.
        assert_eq!(remix(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0], 6, 1), vec![c]);
    }

    #[test]
    fn seven_one_and_6_1_downmix() {
        let c = MINUS_3DB;
        // 7.1 side right goes right.
        assert_eq!(remix(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 8, 2), vec![0.0, c]);
        // 6.1 back centre: half to each side.
        assert_eq!(remix(&[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], 7, 2), vec![0.5, 0.5]);
        // 5.1 to a 7.1 device: down-mixed to the front pair.
        let out = remix(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0], 6, 8);
        assert_eq!(out, vec![c, c, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn same_layout_is_untouched() {
        let x = [0.1, 0.2, 0.3, 0.4];
        assert_eq!(remix(&x, 2, 2), x.to_vec());
    }
}
