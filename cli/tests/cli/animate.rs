//! Animations: the written GIF decoded again (frame count, size, frames that differ where the
//! data does and agree where it does not), the three sources, MP4 falling back to GIF without
//! ffmpeg, and bad input.

use std::path::Path;

use gpusci::lif::{LifParams, Network, NetworkParams};
use gpusci::render::Colormap;
use gpusci::{Error, Executor};
use gpusci_cli::animate::{
    ffmpeg_available, heatmap_animation, line_animation, raster_animation, traveling_wave,
    LineAxes, TimeWindows, Written,
};
use ndarray::Array1;

/// Decodes every frame of a GIF to palette indices, and its size.
fn decode(path: &Path) -> (usize, usize, Vec<Vec<u8>>) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let (w, h) = (decoder.width() as usize, decoder.height() as usize);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        assert_eq!((frame.width as usize, frame.height as usize), (w, h));
        frames.push(frame.buffer.to_vec());
    }
    (w, h, frames)
}

#[test]
fn the_traveling_wave_gif_decodes_with_moving_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wave.gif");
    let mut frames = traveling_wave();
    // One full period later (t = 1) the wave is where it started.
    assert_eq!(frames.len(), 200);
    frames.truncate(101);
    let animation = line_animation(&frames, &LineAxes::default(), (320, 200), 30.0).unwrap();
    let mut calls = 0;
    let written = animation.save(&path, |_, _| calls += 1).unwrap();
    assert_eq!(written, Written::Gif(path.clone()));
    assert_eq!(calls, 101, "progress per frame");
    let (w, h, decoded) = decode(&path);
    assert_eq!((w, h), (320, 200));
    assert_eq!(decoded.len(), 101);
    assert!(
        decoded == animation.frames,
        "the file holds the frames drawn"
    );
    let differing = |a: &[u8], b: &[u8]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    let moved = differing(&decoded[0], &decoded[25]);
    let back = differing(&decoded[0], &decoded[100]);
    // The curve covers a few thousand of 64,000 pixels: a quarter period moves most of them,
    // a whole period returns it (up to pixels rounded the other way).
    assert!(
        moved > 1000,
        "a quarter period later the line moved ({moved} pixels)"
    );
    assert!(
        back < 50,
        "one period later it is back ({back} pixels differ)"
    );
    // Keeping 5 of 101 frames keeps 0, 25, 50, 75 and 100.
    let mut fewer = animation.clone();
    fewer.keep_frames(5);
    assert_eq!(fewer.frames.len(), 5);
    assert!(fewer.frames[1] == animation.frames[25] && fewer.frames[4] == animation.frames[100]);
    // A constant field draws identical frames.
    let still = line_animation(
        &vec![vec![0.5f32; 50]; 3],
        &LineAxes::default(),
        (64, 32),
        10.0,
    )
    .unwrap();
    assert!(still.frames[0] == still.frames[2]);
}

#[test]
fn points_over_time_bin_per_window_on_one_colour_scale() {
    // 300 points at t in [0, 3): the first second in the left half, the second in the
    // right half, the third nowhere (all at t = 2.5, in the middle).
    let n = 300;
    let t = Array1::from_shape_fn(n, |i| i as f64 / 100.0);
    let x = Array1::from_shape_fn(n, |i| match i / 100 {
        0 => 0.1 + (i % 10) as f64 * 0.01,
        1 => 0.9 - (i % 10) as f64 * 0.01,
        _ => 0.5,
    });
    let y = Array1::from_shape_fn(n, |i| (i % 7) as f64 / 7.0);
    let windows = TimeWindows {
        bins: [16, 16],
        window: 1.0,
        step: 1.0,
        colormap: Colormap::Viridis,
    };
    let exec = Executor::Cpu;
    let animation =
        heatmap_animation(&exec, (x.view(), y.view(), t.view()), &windows, 5.0).unwrap();
    assert_eq!(
        animation.frames.len(),
        3,
        "tumbling windows of 1 over [0, 2.99]"
    );
    let left_lit = |f: &Vec<u8>| (0..16).any(|r| f[r * 16..r * 16 + 8].iter().any(|&v| v > 0));
    let right_lit =
        |f: &Vec<u8>| (0..16).any(|r| f[r * 16 + 8..r * 16 + 16].iter().any(|&v| v > 0));
    assert!(left_lit(&animation.frames[0]) && !right_lit(&animation.frames[0]));
    assert!(right_lit(&animation.frames[1]) && !left_lit(&animation.frames[1]));
    // The densest bin of the whole animation (100 points at x = 0.5) takes the top colour.
    assert_eq!(animation.frames.iter().flatten().copied().max(), Some(255));
    // On every adapter the windows are binned on the GPU: the same frames (counts are exact).
    crate::common::for_each_adapter("animate points", |ctx| {
        let gpu = crate::common::executor_on(ctx);
        let on_gpu = heatmap_animation(gpu, (x.view(), y.view(), t.view()), &windows, 5.0).unwrap();
        assert!(on_gpu == animation, "GPU-binned frames equal the CPU's");
    });
    let sliding = TimeWindows {
        step: 0.5,
        ..windows
    };
    let slid = heatmap_animation(&exec, (x.view(), y.view(), t.view()), &sliding, 5.0).unwrap();
    assert_eq!(slid.frames.len(), 5, "sliding windows of 1 every 0.5");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.gif");
    slid.save(&path, |_, _| {}).unwrap();
    let (w, h, decoded) = decode(&path);
    assert_eq!((w, h, decoded.len()), (16, 16, 5));
    for (name, bad) in [("window", 0.0), ("step", f64::NAN)] {
        let windows = TimeWindows {
            window: if name == "window" { bad } else { 1.0 },
            step: if name == "step" { bad } else { 1.0 },
            ..sliding.clone()
        };
        assert!(matches!(
            heatmap_animation(&exec, (x.view(), y.view(), t.view()), &windows, 5.0),
            Err(Error::InvalidParam { .. })
        ));
    }
    let short = Array1::from(vec![0.0; 3]);
    assert!(matches!(
        heatmap_animation(&exec, (x.view(), y.view(), short.view()), &windows, 5.0),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn a_spiking_run_scrolls_and_mp4_falls_back_to_gif() {
    let network = Network::draw(&NetworkParams {
        n: 300,
        ..NetworkParams::default()
    })
    .unwrap();
    let params = LifParams {
        t: 0.2,
        ..LifParams::default()
    };
    let run = gpusci::lif::simulate(&Executor::Cpu, &[(network.into(), params)], |_| {})
        .unwrap()
        .runs
        .remove(0);
    assert!(!run.spikes.is_empty());
    let animation = raster_animation(&run, 1000, 12, (200, 150), 12.0).unwrap();
    assert_eq!(animation.frames.len(), 12);
    assert!(
        animation.frames[0] != animation.frames[11],
        "the raster scrolls"
    );
    assert!(animation.frames[0].iter().any(|&v| v != 0), "spikes drawn");
    let dir = tempfile::tempdir().unwrap();
    let mp4 = dir.path().join("raster.mp4");
    let written = animation.save(&mp4, |_, _| {}).unwrap();
    if ffmpeg_available() {
        assert_eq!(written, Written::Mp4(mp4.clone()));
        assert!(std::fs::metadata(&mp4).unwrap().len() > 0);
    } else {
        let gif = dir.path().join("raster.gif");
        assert_eq!(written, Written::GifInsteadOfMp4(gif.clone()));
        assert!(written.to_string().contains("ffmpeg"), "says why");
        assert_eq!(decode(&gif).2.len(), 12);
    }
    assert!(matches!(
        raster_animation(&run, 0, 12, (200, 150), 12.0),
        Err(Error::InvalidParam { .. })
    ));
    assert!(matches!(
        raster_animation(&run, 100, 12, (200, 150), 0.0),
        Err(Error::InvalidParam { .. })
    ));
    assert!(matches!(
        line_animation(
            &[vec![1.0, 2.0], vec![1.0]],
            &LineAxes::default(),
            (64, 64),
            10.0
        ),
        Err(Error::InvalidParam { .. })
    ));
    assert!(matches!(
        line_animation(&[], &LineAxes::default(), (64, 64), 10.0),
        Err(Error::InvalidParam { .. })
    ));
}

/// Labelled frames: tick labels left of and below the plot, and the title's time moving on
/// from frame to frame while the axes stay put.
#[test]
fn line_frames_have_labelled_axes_and_the_time_in_the_title() {
    let frames = traveling_wave();
    let animation =
        line_animation(&frames[..3], &LineAxes::traveling_wave(), (400, 250), 10.0).unwrap();
    let (w, h) = (400, 250);
    // Palette index 0 is white; dark greys are text and axes.
    let dark = |frame: &[u8], xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        let mut count = 0;
        for y in ys {
            for x in xs.clone() {
                let [r, g, b] = animation.palette[frame[y * w + x] as usize];
                count += usize::from(r < 128 && g < 128 && b < 128);
            }
        }
        count
    };
    let first = &animation.frames[0];
    assert!(
        dark(first, 0..40, 40..h - 40) > 30,
        "y tick labels and title"
    );
    assert!(
        dark(first, 60..w - 20, h - 30..h) > 30,
        "x tick labels and title"
    );
    assert!(dark(first, 60..w - 20, 0..20) > 30, "the title");
    let differ = |a: &[u8], b: &[u8], ys: std::ops::Range<usize>| {
        ys.flat_map(|y| (0..w).map(move |x| y * w + x))
            .filter(|&i| a[i] != b[i])
            .count()
    };
    assert!(
        differ(first, &animation.frames[1], 0..20) > 0,
        "t = 0.00 s, then t = 0.01 s"
    );
}

/// Values near float32's limits: the y span is taken in float64 (in float32 it overflows, and
/// an infinite range would never finish its ticks); a non-finite x span is refused.
#[test]
fn line_frames_of_extreme_values_draw_and_bad_x_spans_are_refused() {
    let frames = vec![vec![-3.0e38f32, 0.0, 3.0e38]; 2];
    let animation = line_animation(&frames, &LineAxes::default(), (240, 160), 5.0).unwrap();
    assert_eq!(animation.frames.len(), 2);
    let axes = LineAxes {
        x: Some((-f64::MAX, f64::MAX)),
        ..LineAxes::default()
    };
    assert!(matches!(
        line_animation(&frames, &axes, (240, 160), 5.0),
        Err(Error::InvalidParam { .. })
    ));
}
