use super::{GLIDE_TIME, Glide, on_sphere};

#[test]
fn points_glide_towards_a_new_layout_and_arrive() {
    let mut g = Glide::default();
    // The first layout (or a new point count) is shown at once.
    assert!(!g.advance(&[[0.0, 0.0], [1.0, 1.0]], 0, 0.016));
    assert_eq!(g.shown(), &[[0.0, 0.0], [1.0, 1.0]]);
    // After one time constant, 1/e of the way is left; the points are still moving.
    assert!(g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, GLIDE_TIME));
    let left = (-1.0f32).exp();
    assert!((g.shown()[0][0] - (1.0 - left)).abs() < 1e-5);
    assert!((g.shown()[1][1] - (-1.0 + 2.0 * left)).abs() < 1e-5);
    // They arrive exactly, and then stop.
    for _ in 0..100 {
        g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, 0.05);
    }
    assert_eq!(g.shown(), &[[1.0, 0.0], [1.0, -1.0]]);
    assert!(!g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, 0.05));
    assert!(
        !g.advance(&[[5.0, 5.0]], 5, 0.05),
        "a new point count jumps"
    );
}

#[test]
fn slow_motion_moves_in_a_straight_line_over_the_chosen_time() {
    let mut g = Glide::default();
    g.advance(&[[0.0, 0.0], [2.0, 2.0]], 10, 0.0);
    g.arm_slow_motion(10, 4.0);
    // The same step's layout again does not start it; the next step's does.
    assert!(!g.advance(&[[0.0, 0.0], [2.0, 2.0]], 10, 0.1));
    assert!(g.slow_move().is_none());
    let after = [[4.0, 0.0], [2.0, -2.0]];
    assert!(g.advance(&after, 11, 0.0));
    assert_eq!(g.slow_move().map(|m| m.steps), Some((10, 11)));
    // Halfway in time is halfway in space (smoothstep is symmetric), on the straight line.
    assert!(g.advance(&after, 11, 2.0));
    assert!((g.shown()[0][0] - 2.0).abs() < 1e-5 && g.shown()[0][1].abs() < 1e-6);
    assert!((g.shown()[1][1] - 0.0).abs() < 1e-5 && (g.shown()[1][0] - 2.0).abs() < 1e-6);
    // A quarter of the way in time is less than a quarter in space: it starts at rest.
    let mut h = Glide::default();
    h.advance(&[[0.0, 0.0]], 1, 0.0);
    h.arm_slow_motion(1, 4.0);
    h.advance(&[[1.0, 0.0]], 2, 1.0);
    assert!(h.shown()[0][0] < 0.25);
    // It arrives and stops.
    assert!(!g.advance(&after, 11, 2.5));
    assert_eq!(g.shown(), &after);
    assert!(g.slow_move().is_none());
}

#[test]
fn a_step_armed_before_anything_was_shown_is_not_played_from_nowhere() {
    // The step key pressed before the first layout reached the screen (a loaded machine):
    // the points appear at once; no move from those points to themselves.
    let mut g = Glide::default();
    g.arm_slow_motion(0, 0.5);
    assert!(!g.advance(&[[1.0, 0.0], [0.0, 1.0]], 1, 0.0));
    assert!(!g.advance(&[[1.0, 0.0], [0.0, 1.0]], 1, 0.02));
    assert!(g.slow_move().is_none());
}
use std::f32::consts::FRAC_PI_2;

#[test]
fn sphere_projection_rotates_and_tells_front_from_back() {
    let ([x, y], depth) = on_sphere(&[0.0, 0.0, 5.0], 0.0, 0.0);
    assert!(x.abs() < 1e-6 && y.abs() < 1e-6 && (depth - 1.0).abs() < 1e-6);
    // A quarter turn brings +x to the back.
    let ([x, _], depth) = on_sphere(&[2.0, 0.0, 0.0], FRAC_PI_2, 0.0);
    assert!(x.abs() < 1e-6 && (depth + 1.0).abs() < 1e-6);
    // Tilting by a quarter turn brings +y to the back too; points stay on the unit disc.
    let (_, depth) = on_sphere(&[0.0, 1.0, 0.0], 0.0, FRAC_PI_2);
    assert!((depth - 1.0).abs() < 1e-6 || (depth + 1.0).abs() < 1e-6);
    let ([x, y], _) = on_sphere(&[0.3, -0.7, 0.2], 0.4, 0.9);
    assert!(x * x + y * y <= 1.0 + 1e-6);
}
