//! The trainer thread: commands reach it, it never blocks the caller, events are logged, and a
//! non-finite loss pauses it with the last finite state restored.

mod common;
use common::config;
use contrastive_lab::config::{OptimizerKind, Setting};
use contrastive_lab::train::{Command, TrainDevice, Trainer};
use std::time::{Duration, Instant};

fn wait_until(what: &str, timeout_s: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(timeout_s),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A SimCLR trainer on blobs that has taken its first ten steps.
fn running_trainer() -> Trainer {
    let c = config(
        "simclr",
        "blobs",
        100_000,
        &[("batch_size", "64"), ("snapshot_every", "5")],
    );
    let trainer =
        Trainer::start(c, TrainDevice::cpu(), false, None).unwrap_or_else(|e| panic!("{e}"));
    wait_until("training to start", 60, || trainer.status().step >= 10);
    trainer
}

#[test]
fn commands_steer_a_running_trainer() {
    let trainer = running_trainer();

    trainer.set(Setting::Temperature(0.05));
    wait_until("the temperature event", 30, || {
        trainer
            .status()
            .events
            .iter()
            .any(|e| e.old == Setting::Temperature(0.5) && e.new == Setting::Temperature(0.05))
    });
    assert_eq!(trainer.status().config.map(|c| c.temperature), Some(0.05));

    trainer.send(Command::Pause);
    wait_until("pause", 30, || trainer.status().paused);
    let paused_at = trainer.status().step;
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        trainer.status().step,
        paused_at,
        "a paused trainer kept stepping"
    );

    trainer.send(Command::Step(3));
    wait_until("three single steps", 30, || {
        trainer.status().step == paused_at + 3
    });
    assert!(trainer.latest().is_some_and(|s| s.step == paused_at + 3));

    // An invalid value is an error banner, not a crash, and changes nothing.
    trainer.set(Setting::Temperature(-2.0));
    wait_until("the error", 30, || trainer.status().error.is_some());
    assert_eq!(trainer.status().config.map(|c| c.temperature), Some(0.05));
    assert!(trainer.is_alive());

    trainer.send(Command::Reset { seed: 7 });
    wait_until("reset", 30, || {
        trainer.status().step == 0 && trainer.status().config.is_some_and(|c| c.seed == 7)
    });
}

#[test]
fn a_non_finite_loss_pauses_and_restores() {
    let trainer = running_trainer();
    trainer.set(Setting::Optimizer(OptimizerKind::Sgd));
    trainer.set(Setting::Lr(1e6));
    wait_until("the incident", 60, || trainer.status().incident.is_some());
    let status = trainer.status();
    let incident = status.incident.unwrap_or_else(|| panic!("no incident"));
    assert!(status.paused);
    assert!(incident.restored_step <= incident.step);
    assert!(trainer.is_alive());
    // The restored state trains again once the rate is sane.
    trainer.set(Setting::Lr(0.001));
    trainer.set(Setting::Optimizer(OptimizerKind::Adam));
    trainer.send(Command::Resume);
    let from = trainer.status().step;
    wait_until("training to resume", 60, || {
        trainer.status().step > from + 5
    });
    assert!(trainer.status().loss.is_finite());
}
