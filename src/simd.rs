//! Run-time dispatch of hot loops to copies compiled for AVX2, for the CPU paths.
//!
//! The portable body is an `#[inline(always)]` function; [`dispatch_avx2!`] defines a wrapper
//! that calls a `target_feature(enable = "avx2")` copy of it when the CPU has AVX2, so LLVM can
//! use 256-bit lanes (and SSE4.1's rounding) without raising the crate's baseline. Both copies
//! perform the same operations in the same order (no fused multiply-add is formed), so their
//! results are bit-identical.

/// Whether the CPU has AVX2 (detected once; `is_x86_feature_detected!` caches it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Defines `$name`, which runs `$portable` from a copy compiled for AVX2 (`$avx2`) when the CPU
/// has it. The copy is a `target_feature` function that inlines the `#[inline(always)]`
/// portable body, so the two compute the same operations in the same order.
macro_rules! dispatch_avx2 {
    ($(#[$meta:meta])* fn $name:ident $(<$gen:ident: $bound:path>)?, $avx2:ident => $portable:ident($($arg:ident: $ty:ty),* $(,)?)) => {
        $(#[$meta])*
        fn $name$(<$gen: $bound>)?($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if $crate::simd::has_avx2() {
                #[expect(unsafe_code, reason = "calling a target_feature function after checking the CPU")]
                // SAFETY: the CPU supports AVX2, the callee's only requirement.
                return unsafe { $avx2($($arg),*) };
            }
            $portable($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        $(#[$meta])*
        fn $avx2$(<$gen: $bound>)?($($arg: $ty),*) {
            $portable($($arg),*)
        }
    };
}

pub(crate) use dispatch_avx2;
