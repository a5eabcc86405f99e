//===- fiber.cc - stackful coroutines for the GPU emulator ----------------===//

#include "fiber.h"

#include <cstdint>
#include <sys/mman.h>

using namespace hydra::rt;

#if !defined(__x86_64__)
#error "the GPU emulator's fibers are written for x86-64"
#endif

// Callee-saved registers go on the old stack, then the stack pointer is
// swapped; `ret` continues where the other context last switched away (or
// at its entry, for a fresh one).
asm(R"(
  .text
  .globl hydra_fiber_switch
  .hidden hydra_fiber_switch
  .type hydra_fiber_switch, @function
hydra_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size hydra_fiber_switch, .-hydra_fiber_switch
)");

FiberStack::FiberStack(size_t bytes) : bytes_(bytes) {
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  base_ = p == MAP_FAILED ? nullptr : p;
}

FiberStack::~FiberStack() {
  if (base_)
    munmap(base_, bytes_);
}

void *FiberStack::prepare(void (*entry)()) {
  auto top = reinterpret_cast<uintptr_t>(base_) + bytes_;
  top &= ~uintptr_t(15);
  auto *words = reinterpret_cast<uintptr_t *>(top);
  // [top-8]: a null return address for `entry`; [top-16]: `entry`, taken
  // by the switch's ret, which leaves rsp ≡ 8 (mod 16) as after a call;
  // below: six zeroed callee-saved registers.
  words[-1] = 0;
  words[-2] = reinterpret_cast<uintptr_t>(entry);
  for (int i = 3; i <= 8; ++i)
    words[-i] = 0;
  return words - 8;
}
