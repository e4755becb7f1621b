// normalize.wgsl: the last step of a NaN-omitting (normalised) blur:
//   dst[i] = numerator[i] / denominator[i], or NaN where the denominator is 0 (no data).
//
// Bindings (group 0):
//   0  uniform      NormalizeUniform (kept in sync with `NormalizeUniform` in src/blur/gpu.rs)
//   1  storage, r   numerator:   array<Real> (shaders/precision/: float32, float64 or
//   2  storage, r   denominator: array<Real>  double-float)
//   3  storage, rw  dst:         array<Real>
// Workgroup size 256, linear workgroup index spread over x, y, z by the host.

struct NormalizeUniform {
    len: u32,
    groups: u32,
    one: f32,  // 1.0, opaque to the compiler (double-float division)
    _pad0: u32,
}

const WG_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> u: NormalizeUniform;
@group(0) @binding(1) var<storage, read> numerator: array<Real>;
@group(0) @binding(2) var<storage, read> denominator: array<Real>;
@group(0) @binding(3) var<storage, read_write> dst: array<Real>;

fn opaque_one() -> f32 {
    return u.one;
}

@compute @workgroup_size(256)
fn normalize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let i = g * WG_SIZE + lid;
    if (i >= u.len) { return; }
    let d = denominator[i];
    if (real_is_zero(d)) {
        // NaN (0 / 0 itself may be folded or flushed by a compiler).
        dst[i] = real(bitcast<f32>(0x7fc00000u));
    } else {
        dst[i] = real_div(numerator[i], d);
    }
}
