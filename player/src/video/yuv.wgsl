// YUV 4:2:0 (three R8Unorm planes) to R'G'B', drawn as one quad filling the viewport
// (the letterbox rectangle). The CPU reference is convert.rs; keep the two in step.

struct Params {
    // R', G', B' = dot(row, (y, u, v, 1)) with y, u, v the normalised texture values:
    // matrix and range folded into one affine map (YuvConversion::affine).
    row_r: vec4<f32>,
    row_g: vec4<f32>,
    row_b: vec4<f32>,
    // Chroma siting: where chroma sample (i, j) sits, in luma samples from luma (2i, 2j).
    chroma_offset: vec2<f32>,
    // Luma plane size in samples.
    luma_size: vec2<f32>,
    // Chroma plane size in samples (ceil(luma / 2)).
    chroma_size: vec2<f32>,
    // 1: the target encodes to sRGB on write, so output linear light (sRGB EOTF applied);
    // 0: output R'G'B' as is.
    linear_out: f32,
    _pad: f32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var tex_y: texture_2d<f32>;
@group(0) @binding(2) var tex_u: texture_2d<f32>;
@group(0) @binding(3) var tex_v: texture_2d<f32>;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    // 0..1 across the picture, (0, 0) at the top left.
    @location(0) uv: vec2<f32>,
};

// A 4-vertex triangle strip covering the viewport; no vertex buffer.
@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    let x = f32(i & 1u);
    let y = f32(i >> 1u);
    var out: VsOut;
    out.pos = vec4<f32>(x * 2.0 - 1.0, 1.0 - y * 2.0, 0.0, 1.0);
    out.uv = vec2<f32>(x, y);
    return out;
}

// The sRGB EOTF (IEC 61966-2-1): the inverse of what an *Srgb target applies on write.
fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + vec3<f32>(0.055)) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

// Bilinear interpolation of a plane at `pos` (sample index space: sample centres at
// integers), edges clamped: the CPU reference's `taps`, in f32. Done by hand rather than
// with a filtering sampler because samplers interpolate with as few as 8 fractional bits
// (lavapipe/llvmpipe, many GPUs): with sharp chroma edges that alone is 3/255 off.
fn bilinear(tex: texture_2d<f32>, pos: vec2<f32>, size: vec2<f32>) -> f32 {
    let last = vec2<i32>(size) - vec2<i32>(1);
    let c = max(pos, vec2<f32>(0.0));
    let i0 = min(vec2<i32>(floor(c)), last);
    let i1 = min(i0 + vec2<i32>(1), last);
    // Past the last sample the weight is 0 (the clamp), as in convert.rs.
    let f = select(c - vec2<f32>(i0), vec2<f32>(0.0), i0 >= last);
    let s00 = textureLoad(tex, vec2<i32>(i0.x, i0.y), 0).r;
    let s10 = textureLoad(tex, vec2<i32>(i1.x, i0.y), 0).r;
    let s01 = textureLoad(tex, vec2<i32>(i0.x, i1.y), 0).r;
    let s11 = textureLoad(tex, vec2<i32>(i1.x, i1.y), 0).r;
    let top = mix(s00, s10, f.x);
    let bottom = mix(s01, s11, f.x);
    return mix(top, bottom, f.y);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    // Luma sample position of this fragment (sample centres at integers; exactly the
    // sample at the native size, interpolated when scaled), then the chroma position of
    // that point given the chroma siting offset.
    let luma_pos = in.uv * p.luma_size - vec2<f32>(0.5);
    let chroma_pos = (luma_pos - p.chroma_offset) * 0.5;
    let y = bilinear(tex_y, luma_pos, p.luma_size);
    let u = bilinear(tex_u, chroma_pos, p.chroma_size);
    let v = bilinear(tex_v, chroma_pos, p.chroma_size);
    let yuv1 = vec4<f32>(y, u, v, 1.0);
    var rgb = clamp(vec3<f32>(dot(p.row_r, yuv1), dot(p.row_g, yuv1), dot(p.row_b, yuv1)),
                    vec3<f32>(0.0), vec3<f32>(1.0));
    if (p.linear_out > 0.5) {
        rgb = srgb_to_linear(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
