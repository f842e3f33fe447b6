//! Rewind and branch: the state at an earlier step, rebuilt from a checkpoint and a
//! deterministic replay (with the changes made since), trains on exactly as the run did.

mod common;
use common::{config, wait_for};
use contrastive_lab::config::Setting;
use contrastive_lab::pipeline::Pipeline;
use contrastive_lab::train::{Command, Session, TrainDevice};

fn small() -> contrastive_lab::config::RunConfig {
    config(
        "simclr",
        "blobs",
        100_000,
        &[
            ("batch_size", "32"),
            ("snapshot_every", "5"),
            ("probe_size", "100"),
        ],
    )
}

/// A step and its snapshot every five, as the trainer does.
fn advance(s: &mut Session, to: usize, losses: &mut Vec<u64>, snaps: &mut Vec<(usize, u64)>) {
    while s.step_count() < to {
        let loss = s
            .step()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|i| panic!("{i}"));
        losses.push(loss.to_bits());
        if s.step_count().is_multiple_of(5) {
            let snap = s.snapshot().unwrap_or_else(|e| panic!("{e}"));
            snaps.push((snap.step, snap.loss.to_bits()));
        }
    }
}

#[test]
fn a_rewound_session_continues_bit_for_bit_with_the_changes_made_since_its_checkpoint() {
    let mut a = Session::new(small(), TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let (mut losses, mut snaps) = (Vec::new(), Vec::new());
    advance(&mut a, 100, &mut losses, &mut snaps);
    let checkpoint = a.fork();
    advance(&mut a, 130, &mut losses, &mut snaps);
    a.set(Setting::Temperature(0.2))
        .unwrap_or_else(|e| panic!("{e}"));
    advance(&mut a, 200, &mut losses, &mut snaps);
    let snapshot_steps: Vec<usize> = (105..=150).step_by(5).collect();
    let mut b = Session::rewound(&checkpoint, a.events(), 150, &snapshot_steps)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.step_count(), 150);
    assert_eq!(
        b.config().temperature,
        0.2,
        "the change at 130 was replayed"
    );
    let (mut b_losses, mut b_snaps) = (Vec::new(), Vec::new());
    advance(&mut b, 200, &mut b_losses, &mut b_snaps);
    assert_eq!(b_losses, losses[150..200].to_vec());
    let a_after: Vec<(usize, u64)> = snaps.into_iter().filter(|(s, _)| *s > 150).collect();
    assert_eq!(b_snaps, a_after);
    assert_eq!(b.events(), a.events());
}

#[test]
fn the_trainer_rewinds_to_a_step_and_trains_on_as_the_run_did() {
    let session = Session::new(small(), TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::start(session, false, None).unwrap_or_else(|e| panic!("{e}"));
    wait_for("three hundred steps", || {
        (p.published().status.step >= 300).then_some(())
    });
    p.send(Command::Pause);
    wait_for("the pause", || p.published().status.paused.then_some(()));
    let end = p.published().status.step;
    let losses = |p: &Pipeline| -> Vec<(usize, u64)> {
        p.published()
            .history
            .iter()
            .map(|r| (r.step, r.loss.to_bits()))
            .collect()
    };
    let original = losses(&p);
    p.send(Command::Rewind(170));
    wait_for("the rewind", || {
        let pub_ = p.published();
        (pub_.status.step == 170 && pub_.branch.is_some()).then_some(())
    });
    assert!(p.recording().last().is_some_and(|s| s.step == 170));
    p.send(Command::Resume);
    wait_for("the run to pass where it was", || {
        (p.published().status.step > end + 5).then_some(())
    });
    let again = losses(&p);
    // Up to the old pause (whose resting snapshot started a new loss mean there).
    let compare = |rows: &[(usize, u64)]| -> Vec<(usize, u64)> {
        rows.iter().copied().filter(|(s, _)| *s < end).collect()
    };
    assert_eq!(compare(&again), compare(&original));
    assert!(compare(&again).len() > 50);
}
