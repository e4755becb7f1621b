// The helpers every gpusci shader may use. WGSL has no includes: the Rust side puts this file
// in front of each shader's source (`include_wgsl!` in src/gpu/mod.rs), and src/shader_checks.rs
// checks the sources it builds.

// The flat index of a workgroup in a dispatch: dispatches wider than the 65535-group limit of
// one dimension spread over y (and z), and each kernel reads its group back as one number.
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + nwg.x * (wid.y + nwg.y * wid.z);
}
