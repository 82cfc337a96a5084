//! The cpal side: finding an output device, choosing its configuration, and running the
//! stream whose callback is a [`Renderer`] (converting to the device's sample format).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{BufferSize, FromSample, SampleFormat, SizedSample, StreamConfig, SupportedBufferSize};

use super::control::AudioControl;
use super::render::Renderer;
use super::shared::State;
use super::{AudioError, OutputConfig, OutputInfo};

/// How long to wait for a backend to set a stream up.
const BUILD_TIMEOUT: Duration = Duration::from_secs(5);

/// The identifiers of the output devices (ALSA pcm names such as `default`, `pulse`,
/// `null`, `hw:CARD=PCH,DEV=0`), as [`super::open`] accepts them. Empty when the audio
/// system cannot be queried.
pub fn list_devices() -> Vec<String> {
    let host = cpal::default_host();
    match host.output_devices() {
        Ok(devices) => devices.filter_map(|d| d.id().ok().map(|id| id.id().to_owned())).collect(),
        Err(e) => {
            tracing::debug!("listing audio devices: {e}");
            Vec::new()
        }
    }
}

/// The device named `name` (its identifier, `host:identifier`, or its description's
/// name), or the default output device.
pub fn find(name: Option<&str>) -> Result<cpal::Device, AudioError> {
    let host = cpal::default_host();
    let Some(name) = name else {
        return host.default_output_device().ok_or(AudioError::NoDevice);
    };
    let matches = |d: &cpal::Device| {
        d.id().is_ok_and(|id| id.id() == name || id.to_string() == name)
            || d.description().is_ok_and(|desc| desc.name() == name)
    };
    let found = host.output_devices().map_err(|e| AudioError::Backend(e.to_string()))?.find(matches);
    found.ok_or_else(|| AudioError::DeviceNotFound { name: name.to_owned(), available: list_devices() })
}

/// A period of about `period` at `rate`, if the device accepts it; else the backend's
/// default.
fn buffer_size(supported: &SupportedBufferSize, rate: u32, period: Option<Duration>) -> BufferSize {
    let Some(period) = period else { return BufferSize::Default };
    let frames = (period.as_secs_f64() * f64::from(rate)).round() as u32;
    match *supported {
        SupportedBufferSize::Range { min, max } if min <= max => BufferSize::Fixed(frames.clamp(min, max)),
        _ => BufferSize::Default,
    }
}

/// Opens a stream on `device` at its default configuration, fed from `shared`, and starts
/// it.
pub fn start(
    device: &cpal::Device,
    config: &OutputConfig,
    control: AudioControl,
) -> Result<(cpal::Stream, Arc<Mutex<State>>, OutputInfo), AudioError> {
    let supported = device.default_output_config().map_err(|e| AudioError::Config(e.to_string()))?;
    let rate = supported.sample_rate();
    let channels = usize::from(supported.channels());
    if rate == 0 || channels == 0 {
        return Err(AudioError::Config(format!("{rate} Hz, {channels} channels")));
    }
    let format = supported.sample_format();
    let stream_config = StreamConfig {
        channels: supported.channels(),
        sample_rate: rate,
        buffer_size: buffer_size(supported.buffer_size(), rate, config.period),
    };
    let shared = Arc::new(Mutex::new(State::new(rate, channels)));
    let renderer = Renderer::new(shared.clone(), control, rate, channels);
    let stream = match format {
        SampleFormat::F32 => build::<f32>(device, &stream_config, renderer, &shared),
        SampleFormat::F64 => build::<f64>(device, &stream_config, renderer, &shared),
        SampleFormat::I16 => build::<i16>(device, &stream_config, renderer, &shared),
        SampleFormat::I32 => build::<i32>(device, &stream_config, renderer, &shared),
        SampleFormat::I24 => build::<cpal::I24>(device, &stream_config, renderer, &shared),
        SampleFormat::I8 => build::<i8>(device, &stream_config, renderer, &shared),
        SampleFormat::U8 => build::<u8>(device, &stream_config, renderer, &shared),
        SampleFormat::U16 => build::<u16>(device, &stream_config, renderer, &shared),
        SampleFormat::U32 => build::<u32>(device, &stream_config, renderer, &shared),
        other => return Err(AudioError::UnsupportedFormat(format!("{other:?}"))),
    }?;
    stream.play().map_err(|e| AudioError::Backend(e.to_string()))?;
    let info = OutputInfo {
        device_id: device.id().map(|id| id.id().to_owned()).unwrap_or_default(),
        device_name: device.description().map(|d| d.name().to_owned()).unwrap_or_else(|_| device.to_string()),
        sample_rate: rate,
        channels: supported.channels(),
        sample_format: format!("{format:?}").to_lowercase(),
        buffer_size: match stream_config.buffer_size {
            BufferSize::Fixed(n) => Some(n),
            BufferSize::Default => None,
        },
    };
    Ok((stream, shared, info))
}

fn build<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut renderer: Renderer,
    shared: &Arc<Mutex<State>>,
) -> Result<cpal::Stream, AudioError>
where
    T: SizedSample + FromSample<f32>,
{
    let mut scratch: Vec<f32> = Vec::new();
    let errors = shared.clone();
    let data = move |out: &mut [T], info: &cpal::OutputCallbackInfo| {
        let at = Instant::now();
        let ts = info.timestamp();
        let latency = ts.playback.checked_duration_since(ts.callback);
        if scratch.len() < out.len() {
            scratch.resize(out.len(), 0.0); // only when the device's buffer grows
        }
        let buf = &mut scratch[..out.len()];
        renderer.render(buf, at, latency);
        for (o, &s) in out.iter_mut().zip(buf.iter()) {
            *o = T::from_sample(s.clamp(-1.0, 1.0));
        }
    };
    let error = move |e: cpal::Error| record_error(&errors, &e);
    device
        .build_output_stream::<T, _, _>(*config, data, error, Some(BUILD_TIMEOUT))
        .map_err(|e| AudioError::Backend(e.to_string()))
}

/// Files an error from the stream. cpal's output loop ends only on
/// `DeviceNotAvailable` (and a stream that must be rebuilt cannot play either): those stop
/// the device's use as a clock. Underruns are counted, route changes and refused real-time
/// priority noted, anything else counted as transient (the loop goes on with the next
/// period).
pub fn record_error(shared: &Mutex<State>, e: &cpal::Error) {
    let mut st = shared.lock().unwrap_or_else(|p| p.into_inner());
    match e.kind() {
        cpal::ErrorKind::Xrun => st.errors.xruns += 1,
        cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied => st.errors.notices.push(e.to_string()),
        cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::StreamInvalidated | cpal::ErrorKind::HostUnavailable => {
            st.errors.fatal = Some(e.to_string());
            st.errors.pending = true;
            st.last = None;
        }
        _ => {
            st.errors.transient += 1;
            st.errors.last_transient = Some(e.to_string());
        }
    }
}
