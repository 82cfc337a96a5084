//! Device creation shared by the window and headless paths, and offscreen rendering with
//! read-back to RGB8 (tests, screenshots without a window).
//!
//! Any backend wgpu finds is used; `WGPU_BACKEND=vulkan|gl|...` narrows the choice
//! (`wgpu::InstanceDescriptor::new_without_display_handle_from_env`). With no GPU, Mesa's
//! lavapipe (Vulkan) or llvmpipe (GL) serve.

use smoothplay_engine::decode::VideoFrame;

use super::convert::Rect;
use super::render::{FrameError, VideoRenderer};

/// What can go wrong getting a device or rendering offscreen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// wgpu found no adapter (no GPU, no Vulkan/GL driver such as Mesa's lavapipe).
    #[error("no graphics adapter found ({0}); install a Vulkan or GL driver (mesa-vulkan-drivers gives lavapipe), or choose one with WGPU_BACKEND")]
    NoAdapter(String),
    /// The adapter refused to create a device.
    #[error("cannot create a graphics device on {adapter}: {reason}")]
    Device {
        /// The adapter's name and backend.
        adapter: String,
        /// wgpu's message.
        reason: String,
    },
    /// The frame cannot be uploaded.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// wgpu reported an error while rendering or reading back.
    #[error("rendering failed: {0}")]
    Render(String),
}

/// An instance with every backend wgpu was built with, or those `WGPU_BACKEND` names.
/// The window path should instead create its instance with the event loop's display
/// handle (`InstanceDescriptor::new_with_display_handle_from_env`), then share
/// [`request_device`].
pub fn headless_instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// The adapter, device and queue to render with: an adapter that can present to
/// `compatible_surface` when given (a window), any adapter otherwise (offscreen). The
/// device gets the adapter's own limits and no optional features (the renderer needs none).
pub async fn request_device(
    instance: &wgpu::Instance,
    compatible_surface: Option<&wgpu::Surface<'_>>,
) -> Result<(wgpu::Adapter, wgpu::Device, wgpu::Queue), GpuError> {
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or_default(),
            force_fallback_adapter: false,
            compatible_surface,
            ..Default::default()
        })
        .await
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
    let info = adapter.get_info();
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("smoothplay"),
            required_limits: adapter.limits(),
            ..Default::default()
        })
        .await
        .map_err(|e| GpuError::Device {
            adapter: format!("{} ({:?})", info.name, info.backend),
            reason: e.to_string(),
        })?;
    Ok((adapter, device, queue))
}

/// Renders pictures into an offscreen texture and reads them back as RGB8.
pub struct OffscreenRenderer {
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    renderer: VideoRenderer,
}

impl std::fmt::Debug for OffscreenRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffscreenRenderer")
            .field("adapter", &self.adapter.get_info().name)
            .field("renderer", &self.renderer)
            .finish()
    }
}

impl OffscreenRenderer {
    /// A headless device (blocking) and a renderer for targets of `format`
    /// (`Rgba8UnormSrgb` behaves like a typical window surface, `Rgba8Unorm` is linear).
    pub fn new(format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        let instance = headless_instance();
        let (adapter, device, queue) = pollster::block_on(request_device(&instance, None))?;
        let renderer = VideoRenderer::new(&device, &queue, format);
        Ok(OffscreenRenderer {
            adapter,
            device,
            queue,
            renderer,
        })
    }

    /// Which adapter renders (name, backend, driver).
    pub fn adapter_info(&self) -> wgpu::AdapterInfo {
        self.adapter.get_info()
    }

    /// The renderer, for uploads with an explicit conversion.
    pub fn renderer(&mut self) -> &mut VideoRenderer {
        &mut self.renderer
    }

    /// The frame at its coded size (every pixel one luma sample, no aspect correction), as
    /// packed RGB8.
    pub fn render_frame(&mut self, frame: &VideoFrame) -> Result<Vec<u8>, GpuError> {
        self.renderer.upload(frame)?;
        let full = Rect {
            x: 0,
            y: 0,
            width: frame.width,
            height: frame.height,
        };
        self.draw(full, frame.width, frame.height)
    }

    /// The frame letterboxed (aspect and sample aspect ratio kept, black bars) into a
    /// `width` x `height` target, as packed RGB8.
    pub fn render_letterboxed(
        &mut self,
        frame: &VideoFrame,
        width: u32,
        height: u32,
    ) -> Result<Vec<u8>, GpuError> {
        self.renderer.upload(frame)?;
        let rect = self.renderer.letterbox(width, height);
        self.draw(rect, width, height)
    }

    /// Renders the last upload into `viewport` of a fresh `width` x `height` texture and
    /// reads it back (rows padded to 256 bytes on the GPU, packed here).
    fn draw(&mut self, viewport: Rect, width: u32, height: u32) -> Result<Vec<u8>, GpuError> {
        let max = self.device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(GpuError::Frame(FrameError::BadSize { width, height, max }));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let format = self.renderer.target_format();
        let target = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen target"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = target.create_view(&wgpu::TextureViewDescriptor::default());
        let bytes_per_pixel = format
            .block_copy_size(None)
            .filter(|&b| b == 4)
            .ok_or_else(|| {
                GpuError::Render(format!(
                    "read-back supports 4-byte RGBA/BGRA formats, not {format:?}"
                ))
            })?;
        let unpadded = width * bytes_per_pixel;
        let padded = unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("offscreen read-back"),
            size: u64::from(padded) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("offscreen"),
            });
        self.renderer
            .render(&mut encoder, &view, viewport, (width, height));
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &target,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(height),
                },
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
        self.queue.submit([encoder.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Render(e.to_string()));
        }

        let slice = readback.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Render(e.to_string()))?;
        rx.recv()
            .map_err(|e| GpuError::Render(e.to_string()))?
            .map_err(|e| GpuError::Render(e.to_string()))?;
        let bgra = matches!(
            format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        {
            let data = slice
                .get_mapped_range()
                .map_err(|e| GpuError::Render(e.to_string()))?;
            for row in data.chunks(padded as usize).take(height as usize) {
                for px in row[..unpadded as usize].chunks_exact(4) {
                    if bgra {
                        rgb.extend_from_slice(&[px[2], px[1], px[0]]);
                    } else {
                        rgb.extend_from_slice(&px[..3]);
                    }
                }
            }
        }
        readback.unmap();
        Ok(rgb)
    }
}
