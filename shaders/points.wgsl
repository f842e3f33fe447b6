// Instanced point sprites for the embedding view: one quad (two triangles) per point, a round
// soft-edged disc in the fragment shader. Positions are in plot coordinates; `scale` and
// `offset` map them to normalised device coordinates of the plot's rectangle.

struct View {
    // ndc = position * scale + offset
    scale: vec2<f32>,
    offset: vec2<f32>,
    // Size of the render target's viewport in physical pixels.
    viewport_px: vec2<f32>,
    // Point radius in physical pixels, and opacity in [0, 1].
    radius_px: f32,
    opacity: f32,
};

@group(0) @binding(0) var<uniform> view: View;

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    // Position inside the sprite, (-1, -1) .. (1, 1).
    @location(0) corner: vec2<f32>,
    @location(1) colour: vec4<f32>,
};

@vertex
fn vs_main(
    @builtin(vertex_index) vertex: u32,
    @location(0) position: vec2<f32>,
    @location(1) colour: vec4<f32>,
) -> VertexOut {
    // Two triangles: (0, 1, 2) and (2, 1, 3) of the corners below.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0),
        vec2<f32>(-1.0, 1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
    );
    let corner = corners[vertex % 6u];
    // One pixel of radius spare for the anti-aliased edge.
    let extent = (view.radius_px + 1.0) * 2.0 / view.viewport_px;
    let centre = position * view.scale + view.offset;
    var out: VertexOut;
    out.clip = vec4<f32>(centre + corner * extent, 0.0, 1.0);
    out.corner = corner * (view.radius_px + 1.0) / max(view.radius_px, 0.5);
    out.colour = colour;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let r = length(in.corner);
    // Coverage falls from 1 to 0 across the last pixel of the radius.
    let edge = 1.0 / max(view.radius_px, 0.5);
    let coverage = clamp((1.0 - r) / edge + 0.5, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    let a = in.colour.a * view.opacity * coverage;
    // egui blends premultiplied alpha.
    return vec4<f32>(in.colour.rgb * a, a);
}
