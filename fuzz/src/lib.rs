//! Shared pieces of the fuzz targets: the fixed codec configurations and key of the test
//! fixtures, and a byte cursor that turns fuzz input into structured choices.
//!
//! Input layouts are documented per target; `seedgen` writes seeds in the same layouts.
#![forbid(unsafe_code)]

/// CodecPrivateData (Annex-B SPS+PPS) of tests/fixtures/media/small.ism, 200 kb/s level
/// (320x180).
pub const SMALL_200K_CPD: &str =
    "00000001674d400cda05067e7c0440000003004000000c83c50aa80000000168ef3c80";
/// CodecPrivateData of tests/fixtures/media/small.ism, 400 kb/s level (480x270).
pub const SMALL_400K_CPD: &str =
    "00000001674d4015da07823fac0440000003004000000c83c58ba80000000168ef3c80";
/// CodecPrivateData of assets/demo.ism, 250 kb/s level (426x240, baseline).
pub const DEMO_250K_CPD: &str =
    "000000016742c015d901b1fe4f011000000300100000030320f162e4800000000168cb8cb2";
/// AudioSpecificConfig of every fixture's audio (AAC-LC, 48 kHz, stereo).
pub const AAC_ASC: &str = "119056e500";

/// Content key of the encrypted fixtures (tests/fixtures/media/KEYS.txt), `KID:KEY` hex.
pub const FIXTURE_KEY_PAIR: &str =
    "00112233445566778899aabbccddeeff:2b7e151628aed2a6abf7158809cf4f3c";

/// The video configurations `fragment_decode` picks from, by selector.
pub const VIDEO_CPDS: [&str; 3] = [SMALL_200K_CPD, SMALL_400K_CPD, DEMO_250K_CPD];

/// Most samples one `fragment_decode` run decodes (bounds the time per execution).
pub const MAX_DECODED_SAMPLES: usize = 12;

/// Hex to bytes (the constants above; panics only on a bad constant).
pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex constant"))
        .collect()
}

/// Reads structured choices from fuzz input; past the end every read gives zeros/empty.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Next byte.
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        b
    }

    /// Next big-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// Next big-endian u32.
    pub fn u32(&mut self) -> u32 {
        (u32::from(self.u16()) << 16) | u32::from(self.u16())
    }

    /// Next big-endian u64.
    pub fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }

    /// Up to `n` next bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.pos = end;
        &self.data[start..end]
    }

    /// A chunk prefixed by a big-endian u16 length.
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.u16());
        self.take(n)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(usize::MAX)
    }
}
