//===- fiber.h - stackful coroutines for the GPU emulator -------*- C++ -*-===//
//
// x86-64 only: a switch saves the callee-saved registers on the current
// stack and moves to the other stack (no signal mask, unlike swapcontext,
// so a switch costs a few nanoseconds rather than a system call).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_FIBER_H
#define HYDRA_RUNTIME_FIBER_H

#include <cstddef>

namespace hydra::rt {

/// A stack for one fiber, mapped lazily (untouched pages cost nothing).
class FiberStack {
public:
  explicit FiberStack(size_t bytes);
  ~FiberStack();
  FiberStack(const FiberStack &) = delete;
  FiberStack &operator=(const FiberStack &) = delete;
  bool ok() const { return base_ != nullptr; }
  /// The initial stack pointer of a fiber that starts in `entry`, which
  /// must never return (it switches away for the last time instead).
  void *prepare(void (*entry)());

private:
  void *base_ = nullptr;
  size_t bytes_;
};

/// Saves the current context's stack pointer in *from and resumes the
/// context whose stack pointer is `to`.
extern "C" void hydra_fiber_switch(void **from, void *to);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_FIBER_H
