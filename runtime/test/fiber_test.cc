#include "fiber.h"

#include <gtest/gtest.h>

#include <vector>

using namespace hydra::rt;

namespace {
void *mainSp = nullptr;
void *fiberSp = nullptr;
std::vector<int> trace;

void fiberMain() {
  trace.push_back(1);
  hydra_fiber_switch(&fiberSp, mainSp);
  trace.push_back(3);
  hydra_fiber_switch(&fiberSp, mainSp);
  __builtin_unreachable();
}
} // namespace

TEST(Fiber, SwitchesBackAndForthKeepingState) {
  FiberStack stack(64 * 1024);
  ASSERT_TRUE(stack.ok());
  fiberSp = stack.prepare(fiberMain);
  int local = 42; // survives the switches in callee-saved state or memory
  hydra_fiber_switch(&mainSp, fiberSp);
  trace.push_back(2);
  hydra_fiber_switch(&mainSp, fiberSp);
  trace.push_back(local);
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 3, 42}));
}
