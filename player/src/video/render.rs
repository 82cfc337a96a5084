//! The GPU video renderer: a decoded [`VideoFrame`] goes into three R8Unorm textures (one
//! copy, straight from the frame's planes) and a WGSL shader (`yuv.wgsl`) converts it to
//! R'G'B' with the matrix, range and chroma siting of [`YuvConversion`], drawn into a
//! letterbox rectangle of any render target: a window's surface texture or an offscreen
//! texture ([`super::offscreen`]).
//!
//! On an sRGB target (`format.is_srgb()`, what surfaces usually offer) the shader outputs
//! linear values (the sRGB EOTF applied), so the hardware's sRGB encode on write gives back
//! the gamma-encoded R'G'B' the video carries; on a linear-format target it outputs R'G'B'
//! as is. Either way the pixels equal [`super::convert::to_rgb8`]'s, to rounding.

use smoothplay_engine::decode::VideoFrame;

use super::convert::{letterbox, Rect, YuvConversion};

/// A frame the renderer cannot upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Zero width or height, or larger than the device's largest 2D texture.
    #[error("frame size {width}x{height} is not renderable (device limit {max})")]
    BadSize {
        /// Luma width.
        width: u32,
        /// Luma height.
        height: u32,
        /// `max_texture_dimension_2d` of the device.
        max: u32,
    },
    /// A plane is shorter than the frame's size says (`width * height` luma bytes,
    /// `ceil(width/2) * ceil(height/2)` per chroma plane).
    #[error("{plane} plane has {len} bytes, {expected} expected")]
    PlaneSize {
        /// "Y", "U" or "V".
        plane: &'static str,
        /// Bytes present.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
}

/// Size of the uniform block in `yuv.wgsl` (`Params`): three vec4 rows, three vec2, two f32.
const PARAMS_BYTES: usize = 80;

/// The textures of the current picture size and the bind group that reads them.
struct Planes {
    width: u32,
    height: u32,
    y: wgpu::Texture,
    u: wgpu::Texture,
    v: wgpu::Texture,
    bind_group: wgpu::BindGroup,
}

/// Draws decoded pictures with wgpu. Create one per device and target format; call
/// [`upload`](Self::upload) for each new picture and [`render`](Self::render) for each
/// redraw (the last upload is drawn again, e.g. after a resize).
pub struct VideoRenderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    target_format: wgpu::TextureFormat,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    params: wgpu::Buffer,
    planes: Option<Planes>,
    /// Sample aspect ratio of the last picture.
    sar: Option<(u16, u16)>,
    conversion: Option<YuvConversion>,
}

impl std::fmt::Debug for VideoRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoRenderer")
            .field("target_format", &self.target_format)
            .field("frame_size", &self.frame_size())
            .field("conversion", &self.conversion)
            .finish()
    }
}

impl VideoRenderer {
    /// A renderer drawing into targets of `target_format` (the surface's or the offscreen
    /// texture's format). Device and queue are cheap handles, kept by the renderer.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target_format: wgpu::TextureFormat,
    ) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("yuv.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("yuv.wgsl").into()),
        });
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                // Read with textureLoad (the shader interpolates itself): no sampler.
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("yuv planes"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(PARAMS_BYTES as u64),
                    },
                    count: None,
                },
                texture_entry(1),
                texture_entry(2),
                texture_entry(3),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("yuv"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("yuv to rgb"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("yuv params"),
            size: PARAMS_BYTES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        VideoRenderer {
            device: device.clone(),
            queue: queue.clone(),
            target_format,
            pipeline,
            layout,
            params,
            planes: None,
            sar: None,
            conversion: None,
        }
    }

    /// The target format this renderer draws into.
    pub fn target_format(&self) -> wgpu::TextureFormat {
        self.target_format
    }

    /// Luma size of the last uploaded picture.
    pub fn frame_size(&self) -> Option<(u32, u32)> {
        self.planes.as_ref().map(|p| (p.width, p.height))
    }

    /// The conversion in use for the last uploaded picture.
    pub fn conversion(&self) -> Option<YuvConversion> {
        self.conversion
    }

    /// Copies a picture's planes into the textures (recreated only when the size changes)
    /// and sets the conversion its format asks for. The copy is queued: it takes effect at
    /// the next `queue.submit`.
    pub fn upload(&mut self, frame: &VideoFrame) -> Result<(), FrameError> {
        self.upload_with(frame, YuvConversion::for_frame(frame))
    }

    /// [`upload`](Self::upload) with an explicit conversion (a user override of the matrix
    /// or range).
    pub fn upload_with(
        &mut self,
        frame: &VideoFrame,
        conversion: YuvConversion,
    ) -> Result<(), FrameError> {
        let (w, h) = (frame.width, frame.height);
        let max = self.device.limits().max_texture_dimension_2d;
        if w == 0 || h == 0 || w > max || h > max {
            return Err(FrameError::BadSize {
                width: w,
                height: h,
                max,
            });
        }
        let (cw, ch) = frame.chroma_size();
        for (plane, data, pw, ph) in [
            ("Y", &frame.y, w, h),
            ("U", &frame.u, cw, ch),
            ("V", &frame.v, cw, ch),
        ] {
            let expected = pw as usize * ph as usize;
            if data.len() < expected {
                return Err(FrameError::PlaneSize {
                    plane,
                    len: data.len(),
                    expected,
                });
            }
        }
        if self.planes.as_ref().map(|p| (p.width, p.height)) != Some((w, h)) {
            self.planes = Some(self.create_planes(w, h));
        }
        let Some(planes) = &self.planes else {
            return Ok(());
        };
        for (texture, data, pw, ph) in [
            (&planes.y, &frame.y, w, h),
            (&planes.u, &frame.u, cw, ch),
            (&planes.v, &frame.v, cw, ch),
        ] {
            // write_texture has no row alignment rule: the packed planes go as they are.
            self.queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &data[..pw as usize * ph as usize],
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(pw),
                    rows_per_image: Some(ph),
                },
                wgpu::Extent3d {
                    width: pw,
                    height: ph,
                    depth_or_array_layers: 1,
                },
            );
        }
        // The sizes are part of the parameters too; 80 bytes per picture is cheaper than
        // tracking what changed.
        let bytes = params_bytes(&conversion, (w, h), (cw, ch), self.target_format.is_srgb());
        self.queue.write_buffer(&self.params, 0, &bytes);
        self.conversion = Some(conversion);
        self.sar = frame.format.sar;
        Ok(())
    }

    fn create_planes(&self, width: u32, height: u32) -> Planes {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let texture = |label, w, h| {
            self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::R8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let y = texture("luma", width, height);
        let u = texture("cb", cw, ch);
        let v = texture("cr", cw, ch);
        let views = [&y, &u, &v].map(|t| t.create_view(&wgpu::TextureViewDescriptor::default()));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("yuv planes"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
            ],
        });
        Planes {
            width,
            height,
            y,
            u,
            v,
            bind_group,
        }
    }

    /// The letterbox rectangle of the last picture (its sample aspect ratio kept) in a
    /// `target_w` x `target_h` target; the whole target before any upload.
    pub fn letterbox(&self, target_w: u32, target_h: u32) -> Rect {
        match self.frame_size() {
            Some((w, h)) => letterbox(w, h, self.sar, target_w, target_h),
            None => Rect {
                x: 0,
                y: 0,
                width: target_w,
                height: target_h,
            },
        }
    }

    /// Records a render pass that clears `target` (of `target_size` pixels) to black and
    /// draws the last uploaded picture scaled into `viewport` (clipped to the target).
    /// Before any upload, or with an empty viewport, only the clear is recorded.
    pub fn render(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        viewport: Rect,
        target_size: (u32, u32),
    ) {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("video"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        let Some(planes) = &self.planes else {
            return;
        };
        let (tw, th) = target_size;
        let x = viewport.x.min(tw);
        let y = viewport.y.min(th);
        let w = viewport.width.min(tw - x);
        let h = viewport.height.min(th - y);
        if w == 0 || h == 0 {
            return;
        }
        pass.set_viewport(x as f32, y as f32, w as f32, h as f32, 0.0, 1.0);
        pass.set_scissor_rect(x, y, w, h);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &planes.bind_group, &[]);
        pass.draw(0..4, 0..1);
    }
}

/// The `Params` uniform block of `yuv.wgsl`, little-endian f32s.
fn params_bytes(
    conv: &YuvConversion,
    luma: (u32, u32),
    chroma: (u32, u32),
    linear_out: bool,
) -> [u8; PARAMS_BYTES] {
    let m = conv.affine();
    let [ox, oy] = conv.chroma_offset();
    let values: [f32; PARAMS_BYTES / 4] = [
        m[0][0],
        m[0][1],
        m[0][2],
        m[0][3],
        m[1][0],
        m[1][1],
        m[1][2],
        m[1][3],
        m[2][0],
        m[2][1],
        m[2][2],
        m[2][3],
        ox,
        oy,
        luma.0 as f32,
        luma.1 as f32,
        chroma.0 as f32,
        chroma.1 as f32,
        if linear_out { 1.0 } else { 0.0 },
        0.0,
    ];
    let mut out = [0u8; PARAMS_BYTES];
    for (chunk, v) in out.chunks_exact_mut(4).zip(values) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    out
}
