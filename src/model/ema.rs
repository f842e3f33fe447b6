//! Exponential moving average of a network: `teacher ← m·teacher + (1 − m)·student`, matched
//! parameter by parameter through their `ParamId`s (which survive `clone()` and `valid()`).
//! Used by MoCo's key encoder, BYOL's target and DINO's teacher.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use std::collections::HashMap;

/// Collects the student's parameters, flattened and off the autodiff graph.
struct Collect {
    params: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let flat: Tensor<1> = param.val().detach().without_autodiff().flatten(0, D - 1);
        self.params.insert(param.id, flat);
    }
}

struct Mix {
    params: HashMap<ParamId, Tensor<1>>,
    momentum: f64,
}

impl ModuleMapper for Mix {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(student) = self.params.remove(&param.id) else {
            return param;
        };
        let m = self.momentum;
        param.map(|teacher| {
            let shape = teacher.shape();
            let student: Tensor<D> = student.reshape(shape);
            teacher.mul_scalar(m) + student.mul_scalar(1.0 - m)
        })
    }
}

/// The teacher a student starts with: an exact copy without autodiff.
pub fn teacher_of<M: Module>(student: &M) -> M {
    student.valid()
}

/// One EMA step. Parameters the teacher does not have are ignored.
pub fn update<M: Module>(teacher: M, student: &M, momentum: f64) -> M {
    let mut collect = Collect {
        params: HashMap::new(),
    };
    student.visit(&mut collect);
    teacher.map(&mut Mix {
        params: collect.params,
        momentum,
    })
}
