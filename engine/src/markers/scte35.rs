//! SCTE 35 `splice_info_section` (ANSI/SCTE 35, §9): the binary cue message of ad
//! insertion, as carried base64-encoded in sparse tracks and manifests.
//!
//! The whole section is checked before anything is read from it: `table_id` 0xFC,
//! `section_length` within the input, and the `CRC_32` (CRC-32/MPEG-2 over the whole
//! section). Encrypted sections are refused ([`MarkerError::Encrypted`]): no cipher
//! key is ever available to a player. Every time in a command is reported with
//! `pts_adjustment` already added (mod 2^33) as a [`Pts`], which also keeps the value
//! as written. Descriptors are kept raw; `avail_descriptor` and
//! `segmentation_descriptor` are decoded too, and a descriptor whose body does not
//! decode is kept raw rather than failing the section.

use std::time::Duration;

use crate::markers::crc::crc32_mpeg2;
use crate::markers::MarkerError;
use crate::time::MediaTime;

/// The 90 kHz clock of MPEG-2 presentation times.
pub const PTS_TIMESCALE: u64 = 90_000;
const PTS_MASK: u64 = (1 << 33) - 1;

/// A decoded `splice_info_section`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpliceInfoSection {
    /// `sap_type` (2 bits; 3 = not specified, which pre-2020 encoders always write).
    pub sap_type: u8,
    /// `protocol_version` (0 in every published revision).
    pub protocol_version: u8,
    /// `pts_adjustment` (33 bits, 90 kHz), already applied to every [`Pts`] below.
    pub pts_adjustment: u64,
    /// `cw_index` (meaningful only for encrypted sections, which are refused).
    pub cw_index: u8,
    /// `tier` (12 bits; 0xFFF = all tiers).
    pub tier: u16,
    /// The splice command.
    pub command: SpliceCommand,
    /// The descriptor loop, in order.
    pub descriptors: Vec<SpliceDescriptor>,
    /// The section's `CRC_32` (already checked).
    pub crc32: u32,
}

/// A 33-bit 90 kHz time from a `splice_time()`, with the section's `pts_adjustment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pts {
    /// `pts_time` as written.
    pub raw: u64,
    /// `(pts_time + pts_adjustment) mod 2^33`: the time on the stream's PTS clock.
    pub adjusted: u64,
}

impl Pts {
    fn new(raw: u64, adjustment: u64) -> Pts {
        Pts { raw, adjusted: (raw + adjustment) & PTS_MASK }
    }

    /// The adjusted time in 90 kHz ticks.
    pub fn ticks(&self) -> MediaTime {
        MediaTime::new(self.adjusted, PTS_TIMESCALE)
    }

    /// The adjusted time as a duration since PTS zero.
    pub fn to_duration(&self) -> Duration {
        self.ticks().to_duration()
    }
}

/// `splice_command_type` and its body.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpliceCommand {
    /// 0x00 `splice_null` (a heartbeat).
    Null,
    /// 0x04 `splice_schedule`, kept raw.
    Schedule {
        /// The command's bytes.
        raw: Vec<u8>,
    },
    /// 0x05 `splice_insert`.
    Insert(SpliceInsert),
    /// 0x06 `time_signal`: a time, its meaning in the descriptors (segmentation).
    TimeSignal {
        /// `None` when `time_specified_flag` is 0.
        time: Option<Pts>,
    },
    /// 0x07 `bandwidth_reservation`.
    BandwidthReservation,
    /// 0xFF `private_command`.
    Private {
        /// `identifier` (a registered format identifier, e.g. `CUEI`).
        identifier: u32,
        /// `private_byte`s.
        data: Vec<u8>,
    },
    /// Any other (reserved) command type, kept raw.
    Unknown {
        /// `splice_command_type`.
        command_type: u8,
        /// The command's bytes.
        raw: Vec<u8>,
    },
}

impl SpliceCommand {
    /// The `splice_command_type` value.
    pub fn command_type(&self) -> u8 {
        match self {
            SpliceCommand::Null => 0x00,
            SpliceCommand::Schedule { .. } => 0x04,
            SpliceCommand::Insert(_) => 0x05,
            SpliceCommand::TimeSignal { .. } => 0x06,
            SpliceCommand::BandwidthReservation => 0x07,
            SpliceCommand::Private { .. } => 0xFF,
            SpliceCommand::Unknown { command_type, .. } => *command_type,
        }
    }
}

/// `splice_insert()` (§9.7.3). With `cancel` set, only `event_id` is meaningful.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpliceInsert {
    /// `splice_event_id`.
    pub event_id: u32,
    /// `splice_event_cancel_indicator`: a previously sent event is withdrawn.
    pub cancel: bool,
    /// `out_of_network_indicator`: leaving the network feed (a break starts); `false`
    /// is the return.
    pub out_of_network: bool,
    /// `program_splice_flag`: the whole program splices at once (else per component).
    pub program_splice: bool,
    /// `splice_immediate_flag`: splice at the next opportunity, no time given.
    pub splice_immediate: bool,
    /// The program's splice time (program splice, not immediate, time specified).
    pub splice_time: Option<Pts>,
    /// Per-component splice times (`program_splice_flag` 0): component tag and time.
    pub components: Vec<(u8, Option<Pts>)>,
    /// `break_duration()` when `duration_flag` is set.
    pub break_duration: Option<BreakDuration>,
    /// `unique_program_id`.
    pub unique_program_id: u16,
    /// `avail_num`.
    pub avail_num: u8,
    /// `avails_expected`.
    pub avails_expected: u8,
}

/// `break_duration()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakDuration {
    /// `auto_return`: the splicer returns to the network by itself when it ends.
    pub auto_return: bool,
    /// `duration` in 90 kHz ticks (33 bits; a duration, so not adjusted).
    pub ticks: u64,
}

impl BreakDuration {
    /// The duration as 90 kHz media time.
    pub fn media_time(&self) -> MediaTime {
        MediaTime::new(self.ticks, PTS_TIMESCALE)
    }

    /// The duration.
    pub fn to_duration(&self) -> Duration {
        self.media_time().to_duration()
    }
}

/// One `splice_descriptor()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpliceDescriptor {
    /// `splice_descriptor_tag` (0 avail, 1 DTMF, 2 segmentation, 3 time, 4 audio).
    pub tag: u8,
    /// `identifier` (0x43554549 `CUEI` for SCTE's own descriptors).
    pub identifier: u32,
    /// The bytes after the identifier.
    pub data: Vec<u8>,
    /// What the body says, for the descriptors decoded here.
    pub decoded: Option<DescriptorInfo>,
}

/// The `CUEI` identifier of SCTE 35's own descriptors.
pub const CUEI: u32 = 0x4355_4549;

/// Decoded descriptor bodies.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescriptorInfo {
    /// `avail_descriptor` (tag 0).
    Avail {
        /// `provider_avail_id`.
        provider_avail_id: u32,
    },
    /// `segmentation_descriptor` (tag 2).
    Segmentation(SegmentationDescriptor),
}

/// `segmentation_descriptor()` (§10.3.3). With `cancel` set, only `event_id` is meaningful.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentationDescriptor {
    /// `segmentation_event_id`.
    pub event_id: u32,
    /// `segmentation_event_cancel_indicator`.
    pub cancel: bool,
    /// `program_segmentation_flag`.
    pub program_segmentation: bool,
    /// `delivery_not_restricted_flag`.
    pub delivery_not_restricted: bool,
    /// `web_delivery_allowed_flag`, `no_regional_blackout_flag`, `archive_allowed_flag`
    /// and `device_restrictions`, when delivery is restricted.
    pub restrictions: Option<(bool, bool, bool, u8)>,
    /// Per-component `pts_offset`s (component tag, 33-bit offset).
    pub components: Vec<(u8, u64)>,
    /// `segmentation_duration` (40 bits, 90 kHz) when given.
    pub duration_ticks: Option<u64>,
    /// `segmentation_upid_type`.
    pub upid_type: u8,
    /// `segmentation_upid()` bytes.
    pub upid: Vec<u8>,
    /// `segmentation_type_id` (0x34 provider placement opportunity start, 0x30
    /// provider advertisement start, 0x10 program start, ...).
    pub type_id: u8,
    /// `segment_num`.
    pub segment_num: u8,
    /// `segments_expected`.
    pub segments_expected: u8,
    /// `sub_segment_num` and `sub_segments_expected`, where present (types 0x30, 0x32,
    /// 0x34, 0x36, 0x38, 0x3A, 0x44, 0x46 since 2016; older encoders leave them out).
    pub sub_segment: Option<(u8, u8)>,
}

impl SegmentationDescriptor {
    /// `segmentation_duration` as a duration.
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ticks.map(|t| MediaTime::new(t, PTS_TIMESCALE).to_duration())
    }
}

/// A big-endian bit reader over one slice; positions in errors are byte offsets into
/// the section (`base` is where the slice starts).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        Bits { data, pos: 0, base }
    }

    fn offset(&self) -> usize {
        self.base + self.pos / 8
    }

    fn bits(&mut self, n: usize, field: &'static str) -> Result<u64, MarkerError> {
        debug_assert!(n <= 64);
        if self.pos + n > self.data.len() * 8 {
            return Err(MarkerError::Truncated { field, offset: self.offset() });
        }
        let mut v = 0u64;
        for _ in 0..n {
            let bit = (self.data[self.pos / 8] >> (7 - self.pos % 8)) & 1;
            v = (v << 1) | u64::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, MarkerError> {
        Ok(self.bits(1, field)? == 1)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, MarkerError> {
        Ok(self.bits(8, field)? as u8)
    }

    fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], MarkerError> {
        debug_assert!(self.pos % 8 == 0);
        let start = self.pos / 8;
        let end = start.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or(MarkerError::Truncated { field, offset: self.offset() })?;
        self.pos = end * 8;
        Ok(&self.data[start..end])
    }

    fn rest(&mut self) -> &'a [u8] {
        let start = (self.pos / 8).min(self.data.len());
        self.pos = self.data.len() * 8;
        &self.data[start..]
    }

    fn consumed_bytes(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

/// Decodes one `splice_info_section` from the start of `data` (bytes after the
/// section, such as transport-stream stuffing, are ignored).
pub fn parse_splice_info_section(data: &[u8]) -> Result<SpliceInfoSection, MarkerError> {
    let mut head = Bits::new(data, 0);
    let table_id = head.u8("table_id")?;
    if table_id != 0xFC {
        return Err(MarkerError::WrongTableId { found: table_id });
    }
    let _section_syntax_indicator = head.flag("section_syntax_indicator")?;
    let _private_indicator = head.flag("private_indicator")?;
    let sap_type = head.bits(2, "sap_type")? as u8;
    let section_length = head.bits(12, "section_length")? as usize;
    let total = 3 + section_length;
    if data.len() < total {
        return Err(MarkerError::SectionLength { declared: total, available: data.len() });
    }
    // protocol_version .. descriptor_loop_length plus the CRC: 17 bytes at least.
    if section_length < 17 {
        return Err(MarkerError::Malformed {
            field: "section_length",
            offset: 1,
            reason: "too short for the fixed fields and CRC_32",
        });
    }
    let section = &data[..total];
    let (body, crc) = section.split_at(total - 4);
    let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32_mpeg2(body);
    if stored != computed {
        return Err(MarkerError::Crc { stored, computed });
    }

    let mut r = Bits::new(&body[3..], 3);
    let protocol_version = r.u8("protocol_version")?;
    let encrypted = r.flag("encrypted_packet")?;
    let algorithm = r.bits(6, "encryption_algorithm")? as u8;
    let pts_adjustment = r.bits(33, "pts_adjustment")?;
    let cw_index = r.u8("cw_index")?;
    let tier = r.bits(12, "tier")? as u16;
    let command_length = r.bits(12, "splice_command_length")? as usize;
    let command_type = r.u8("splice_command_type")?;
    if encrypted {
        return Err(MarkerError::Encrypted { algorithm });
    }
    let command_start = r.offset();
    let (command, used) = if command_length == 0xFFF {
        // Legacy "length unknown": the command's own syntax says where it ends.
        let rest = &body[command_start..];
        parse_command(command_type, rest, command_start, pts_adjustment, None)?
    } else {
        let bytes = r.bytes(command_length, "splice_command")?;
        let (c, _) = parse_command(command_type, bytes, command_start, pts_adjustment, Some(command_length))?;
        (c, command_length)
    };
    let mut r = Bits::new(&body[command_start + used..], command_start + used);
    let loop_length = r.bits(16, "descriptor_loop_length")? as usize;
    let loop_start = r.offset();
    let loop_bytes = r.bytes(loop_length, "splice_descriptor")?;
    let descriptors = parse_descriptors(loop_bytes, loop_start)?;
    // What is left before the CRC is alignment_stuffing (or E_CRC_32 when encrypted).
    Ok(SpliceInfoSection {
        sap_type,
        protocol_version,
        pts_adjustment,
        cw_index,
        tier,
        command,
        descriptors,
        crc32: stored,
    })
}

/// A command's body; returns it and the bytes it used.
fn parse_command(
    command_type: u8,
    bytes: &[u8],
    base: usize,
    adj: u64,
    declared: Option<usize>,
) -> Result<(SpliceCommand, usize), MarkerError> {
    let mut r = Bits::new(bytes, base);
    let command = match command_type {
        0x00 => SpliceCommand::Null,
        0x05 => SpliceCommand::Insert(parse_insert(&mut r, adj)?),
        0x06 => SpliceCommand::TimeSignal { time: splice_time(&mut r, adj)? },
        0x07 => SpliceCommand::BandwidthReservation,
        _ if declared.is_none() => {
            return Err(MarkerError::Malformed {
                field: "splice_command_length",
                offset: base.saturating_sub(3),
                reason: "is 0xFFF (unknown) for a command whose length cannot be inferred",
            })
        }
        0x04 => SpliceCommand::Schedule { raw: r.rest().to_vec() },
        0xFF => {
            let identifier = r.bits(32, "identifier")? as u32;
            SpliceCommand::Private { identifier, data: r.rest().to_vec() }
        }
        other => SpliceCommand::Unknown { command_type: other, raw: r.rest().to_vec() },
    };
    Ok((command, r.consumed_bytes()))
}

fn splice_time(r: &mut Bits<'_>, adj: u64) -> Result<Option<Pts>, MarkerError> {
    if r.flag("time_specified_flag")? {
        r.bits(6, "reserved")?;
        Ok(Some(Pts::new(r.bits(33, "pts_time")?, adj)))
    } else {
        r.bits(7, "reserved")?;
        Ok(None)
    }
}

fn parse_insert(r: &mut Bits<'_>, adj: u64) -> Result<SpliceInsert, MarkerError> {
    let mut s = SpliceInsert {
        event_id: r.bits(32, "splice_event_id")? as u32,
        cancel: r.flag("splice_event_cancel_indicator")?,
        ..SpliceInsert::default()
    };
    r.bits(7, "reserved")?;
    if s.cancel {
        return Ok(s);
    }
    s.out_of_network = r.flag("out_of_network_indicator")?;
    s.program_splice = r.flag("program_splice_flag")?;
    let duration_flag = r.flag("duration_flag")?;
    s.splice_immediate = r.flag("splice_immediate_flag")?;
    r.bits(4, "reserved")?;
    if s.program_splice && !s.splice_immediate {
        s.splice_time = splice_time(r, adj)?;
    }
    if !s.program_splice {
        let count = r.u8("component_count")?;
        for _ in 0..count {
            let tag = r.u8("component_tag")?;
            let time = if s.splice_immediate { None } else { splice_time(r, adj)? };
            s.components.push((tag, time));
        }
    }
    if duration_flag {
        let auto_return = r.flag("auto_return")?;
        r.bits(6, "reserved")?;
        s.break_duration = Some(BreakDuration { auto_return, ticks: r.bits(33, "duration")? });
    }
    s.unique_program_id = r.bits(16, "unique_program_id")? as u16;
    s.avail_num = r.u8("avail_num")?;
    s.avails_expected = r.u8("avails_expected")?;
    Ok(s)
}

fn parse_descriptors(bytes: &[u8], base: usize) -> Result<Vec<SpliceDescriptor>, MarkerError> {
    let mut r = Bits::new(bytes, base);
    let mut out = Vec::new();
    while r.consumed_bytes() < bytes.len() {
        let tag = r.u8("splice_descriptor_tag")?;
        let length = r.u8("descriptor_length")? as usize;
        let at = r.offset();
        let body = r.bytes(length, "splice_descriptor")?;
        if body.len() < 4 {
            return Err(MarkerError::Malformed {
                field: "descriptor_length",
                offset: at - 1,
                reason: "is shorter than the 4-byte identifier",
            });
        }
        let identifier = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
        let data = &body[4..];
        let decoded = if identifier == CUEI {
            match tag {
                0x00 if data.len() >= 4 => Some(DescriptorInfo::Avail {
                    provider_avail_id: u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                }),
                0x02 => parse_segmentation(data, at + 4).ok().map(DescriptorInfo::Segmentation),
                _ => None,
            }
        } else {
            None
        };
        out.push(SpliceDescriptor { tag, identifier, data: data.to_vec(), decoded });
    }
    Ok(out)
}

fn parse_segmentation(data: &[u8], base: usize) -> Result<SegmentationDescriptor, MarkerError> {
    let mut r = Bits::new(data, base);
    let mut s = SegmentationDescriptor {
        event_id: r.bits(32, "segmentation_event_id")? as u32,
        cancel: r.flag("segmentation_event_cancel_indicator")?,
        ..SegmentationDescriptor::default()
    };
    r.bits(7, "reserved")?;
    if s.cancel {
        return Ok(s);
    }
    s.program_segmentation = r.flag("program_segmentation_flag")?;
    let duration_flag = r.flag("segmentation_duration_flag")?;
    s.delivery_not_restricted = r.flag("delivery_not_restricted_flag")?;
    if s.delivery_not_restricted {
        r.bits(5, "reserved")?;
    } else {
        s.restrictions = Some((
            r.flag("web_delivery_allowed_flag")?,
            r.flag("no_regional_blackout_flag")?,
            r.flag("archive_allowed_flag")?,
            r.bits(2, "device_restrictions")? as u8,
        ));
    }
    if !s.program_segmentation {
        let count = r.u8("component_count")?;
        for _ in 0..count {
            let tag = r.u8("component_tag")?;
            r.bits(7, "reserved")?;
            s.components.push((tag, r.bits(33, "pts_offset")?));
        }
    }
    if duration_flag {
        s.duration_ticks = Some(r.bits(40, "segmentation_duration")?);
    }
    s.upid_type = r.u8("segmentation_upid_type")?;
    let upid_length = r.u8("segmentation_upid_length")? as usize;
    s.upid = r.bytes(upid_length, "segmentation_upid")?.to_vec();
    s.type_id = r.u8("segmentation_type_id")?;
    s.segment_num = r.u8("segment_num")?;
    s.segments_expected = r.u8("segments_expected")?;
    if matches!(s.type_id, 0x30 | 0x32 | 0x34 | 0x36 | 0x38 | 0x3A | 0x44 | 0x46) && r.consumed_bytes() + 2 <= data.len()
    {
        s.sub_segment = Some((r.u8("sub_segment_num")?, r.u8("sub_segments_expected")?));
    }
    Ok(s)
}
