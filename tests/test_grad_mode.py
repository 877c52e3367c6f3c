"""Side-by-side tests (torch vs leafgrad): grad modes."""
import threading
# ---------------------------------------------------------------- side-by-side helpers
import re
import warnings

import numpy as np
import pytest
import torch

import leafgrad
from conftest import same_message


from sidebyside import _cmp, _is_tensor, _norm, gfn, raises_same, run_prog, same  # noqa: F401


# ------------------------------------------------------------------------------------


def test_no_grad_creates_no_node():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.no_grad():
            y = x * 2
            e = T.is_grad_enabled()
            z = y + x
        w = x * 2
        return [y, y.grad_fn, y.requires_grad, y.is_leaf, z.requires_grad, e, T.is_grad_enabled(), w.requires_grad]
    same(prog)


def test_enable_grad_inside_no_grad():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.no_grad():
            with T.enable_grad():
                y = x * 2
                a = T.is_grad_enabled()
            b = T.is_grad_enabled()
        return [y, a, b, T.is_grad_enabled()]
    same(prog)


def test_set_grad_enabled_function_form():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        try:
            T.set_grad_enabled(False)
            a = T.is_grad_enabled()
            y = x * 2
        finally:
            T.set_grad_enabled(True)
        return [a, y, T.is_grad_enabled()]
    same(prog)


def test_set_grad_enabled_context_manager():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.set_grad_enabled(False):
            y = x * 2
            a = T.is_grad_enabled()
            with T.set_grad_enabled(True):
                z = x * 2
        return [a, y, z, T.is_grad_enabled()]
    same(prog)


def test_set_grad_enabled_decorator():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)

        @T.set_grad_enabled(False)
        def f(t):
            return t * 2, T.is_grad_enabled()
        return [f(x), T.is_grad_enabled()]
    same(prog)


def test_set_grad_enabled_bad_arg():
    raises_same(lambda T: T.set_grad_enabled("yes"))


def test_no_grad_decorator_forms():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)

        @T.no_grad()
        def f(t):
            return t * 2

        @T.no_grad
        def g(t):
            return t * 3

        @T.enable_grad()
        def h(t):
            return t * 4
        with T.no_grad():
            hv = h(x)
        return [f(x), g(x), hv, f.__name__, T.is_grad_enabled()]
    same(prog)


def test_decorator_on_generator():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)

        @T.no_grad()
        def gen():
            for k in range(2):
                yield x * k, T.is_grad_enabled()

        out = []
        for item in gen():
            out.append(item)
            out.append(T.is_grad_enabled())  # restored between yields
        return out
    same(prog)


def test_enable_grad_generator_in_no_grad():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)

        @T.enable_grad()
        def gen():
            yield T.is_grad_enabled()
            yield x * 2
        with T.no_grad():
            out = list(gen())
            out.append(T.is_grad_enabled())
        return out
    same(prog)


def test_nesting_and_restore_on_exception():
    def prog(T):
        states = []
        try:
            with T.no_grad():
                states.append(T.is_grad_enabled())
                with T.enable_grad():
                    states.append(T.is_grad_enabled())
                    with T.set_grad_enabled(False):
                        states.append(T.is_grad_enabled())
                        raise ValueError("boom")
        except ValueError:
            pass
        states.append(T.is_grad_enabled())
        return states
    same(prog)


def test_thread_local():
    def prog(T):
        res = {}

        def worker():
            res["t"] = T.is_grad_enabled()
            x = T.tensor([1.], requires_grad=True)
            res["y"] = (x * 2).requires_grad
        with T.no_grad():
            th = threading.Thread(target=worker)
            th.start()
            th.join()
            res["main"] = T.is_grad_enabled()
        return res
    same(prog)


def test_thread_local_set_in_thread_does_not_leak():
    def prog(T):
        def worker():
            T.set_grad_enabled(False)
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        return T.is_grad_enabled()
    same(prog)


def test_inference_mode():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        with T.inference_mode():
            y = x * 2
            a = (T.is_inference_mode_enabled(), T.is_grad_enabled())
        b = (T.is_inference_mode_enabled(), T.is_grad_enabled())
        with T.inference_mode(False):
            c = T.is_inference_mode_enabled()
            z = x * 2
        return [y, y.requires_grad, y.grad_fn, y.is_inference(), x.is_inference(), a, b, c, z, z.is_inference()]
    same(prog)


def test_inference_mode_decorator():
    def prog(T):
        @T.inference_mode()
        def f(t):
            return t * 2, T.is_inference_mode_enabled()

        @T.inference_mode
        def g(t):
            return t * 3
        x = T.tensor([1., 2.], requires_grad=True)
        a = f(x)
        return [a, a[0].is_inference(), g(x).is_inference(), T.is_inference_mode_enabled()]
    same(prog)


def test_inference_tensor_in_autograd_error():
    def prog(T):
        with T.inference_mode():
            y = T.ones(2)
        w = T.tensor([1., 2.], requires_grad=True)
        return (w * y).sum().backward()
    same(prog)


def test_inference_tensor_inplace_outside_error():
    def prog(T):
        with T.inference_mode():
            y = T.ones(2)
        y.add_(1.)
    raises_same(prog)


def test_inference_tensor_save_for_backward_error():
    def prog(T):
        with T.inference_mode():
            y = T.ones(2)
        w = T.tensor([1., 2.], requires_grad=True)
        return w * y
    same(prog)


def test_no_grad_backward_still_works():
    def prog(T):
        x = T.tensor([1., 2.], requires_grad=True)
        y = (x * x).sum()
        with T.no_grad():
            y.backward()
        return x.grad
    same(prog)


def test_no_grad_class_reprs_and_instances():
    def prog(T):
        ng = T.no_grad()
        with ng:
            a = T.is_grad_enabled()
        with ng:
            b = T.is_grad_enabled()
        return [a, b, T.is_grad_enabled(), type(T.set_grad_enabled(True)).__name__]
    same(prog)


def test_grad_mode_reexports():
    same(lambda T: [T.no_grad is T.autograd.no_grad, T.enable_grad is T.autograd.enable_grad,
                    T.set_grad_enabled is T.autograd.set_grad_enabled,
                    T.inference_mode is T.autograd.inference_mode])
