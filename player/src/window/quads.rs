//! Draws the overlay's rectangles (seek bar, the stats panel's shade): one small
//! pipeline of coloured, alpha-blended triangles, rebuilt from the overlay each frame.

use wgpu::util::DeviceExt;

use super::layout::Quad;

const SHADER: &str = r#"
struct Out {
    @builtin(position) pos: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs(@location(0) pos: vec2<f32>, @location(1) color: vec4<f32>) -> Out {
    var o: Out;
    o.pos = vec4<f32>(pos, 0.0, 1.0);
    o.color = color;
    return o;
}

@fragment
fn fs(i: Out) -> @location(0) vec4<f32> {
    return i.color;
}
"#;

/// Six vertices per rectangle: x, y in clip space, then RGBA.
const FLOATS_PER_VERTEX: usize = 6;

/// The rectangle pipeline.
pub struct QuadPainter {
    pipeline: wgpu::RenderPipeline,
    vertices: Option<(wgpu::Buffer, u32)>,
}

impl QuadPainter {
    /// A pipeline drawing into targets of `format`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("osd quads"), source: wgpu::ShaderSource::Wgsl(SHADER.into()) });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some("osd quads"), bind_group_layouts: &[], immediate_size: 0 });
        let attributes = wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x4];
        let buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: (FLOATS_PER_VERTEX * 4) as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &attributes,
        })];
        let targets = [Some(wgpu::ColorTargetState { format, blend: Some(wgpu::BlendState::ALPHA_BLENDING), write_mask: wgpu::ColorWrites::ALL })];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("osd quads"),
            layout: Some(&layout),
            vertex: wgpu::VertexState { module: &module, entry_point: Some("vs"), compilation_options: Default::default(), buffers: &buffers },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState { module: &module, entry_point: Some("fs"), compilation_options: Default::default(), targets: &targets }),
            multiview_mask: None,
            cache: None,
        });
        QuadPainter { pipeline, vertices: None }
    }

    /// Uploads this frame's rectangles for a target of `width` x `height` pixels.
    pub fn prepare(&mut self, device: &wgpu::Device, quads: &[Quad], width: u32, height: u32) {
        if quads.is_empty() {
            self.vertices = None;
            return;
        }
        let data = vertices(quads, width, height);
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("osd quads"),
            contents: &data.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>(),
            usage: wgpu::BufferUsages::VERTEX,
        });
        self.vertices = Some((buffer, (data.len() / FLOATS_PER_VERTEX) as u32));
    }

    /// Draws what [`prepare`](Self::prepare) uploaded.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if let Some((buffer, count)) = &self.vertices {
            pass.set_pipeline(&self.pipeline);
            pass.set_vertex_buffer(0, buffer.slice(..));
            pass.draw(0..*count, 0..1);
        }
    }
}

/// Two triangles per rectangle, pixel coordinates (y down) to clip space (y up).
fn vertices(quads: &[Quad], width: u32, height: u32) -> Vec<f32> {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let cx = |x: f32| x / w * 2.0 - 1.0;
    let cy = |y: f32| 1.0 - y / h * 2.0;
    let mut out = Vec::with_capacity(quads.len() * 6 * FLOATS_PER_VERTEX);
    for q in quads {
        let (x0, y0, x1, y1) = (cx(q.x), cy(q.y), cx(q.x + q.w), cy(q.y + q.h));
        for (x, y) in [(x0, y0), (x1, y0), (x0, y1), (x0, y1), (x1, y0), (x1, y1)] {
            out.extend_from_slice(&[x, y]);
            out.extend_from_slice(&q.color);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_map_to_clip_space_with_y_up() {
        let v = vertices(&[Quad { x: 0.0, y: 0.0, w: 50.0, h: 25.0, color: [1.0, 0.0, 0.0, 0.5] }], 100, 100);
        assert_eq!(v.len(), 36);
        assert_eq!(&v[0..6], &[-1.0, 1.0, 1.0, 0.0, 0.0, 0.5], "top-left corner");
        assert_eq!(&v[30..32], &[0.0, 0.5], "bottom-right corner");
    }
}
