//===- aligned_buffer_test.cc - AlignedBuffer -----------------------------===//

#include "aligned_buffer.h"

#include <gtest/gtest.h>

#include <cstring>

using hydra::rt::AlignedBuffer;

TEST(AlignedBuffer, SmallBuffersAreCacheLineAlignedAndZeroedOnRequest) {
  AlignedBuffer zeros(1000);
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(zeros.data()) % 64, 0u);
  for (size_t i = 0; i < zeros.size(); ++i)
    ASSERT_EQ(zeros.data()[i], 0) << "byte " << i;
  AlignedBuffer unset(1000, AlignedBuffer::Init::unset);
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(unset.data()) % 64, 0u);
}

TEST(AlignedBuffer, LargeUnsetBuffersStartOnAHugePageAndHoldEveryByte) {
  // 5 MiB + 3: not a whole number of 2 MiB pages.
  size_t size = (size_t(5) << 20) + 3;
  AlignedBuffer big(size, AlignedBuffer::Init::unset);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.size(), size);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % (size_t(2) << 20), 0u);
  std::memset(big.data(), 0x5a, size);
  EXPECT_EQ(big.data()[0], 0x5a);
  EXPECT_EQ(big.data()[size - 1], 0x5a);
  // Moved, it keeps its bytes; the source is left empty.
  AlignedBuffer moved = std::move(big);
  EXPECT_EQ(moved.data()[size / 2], 0x5a);
  EXPECT_EQ(big.data(), nullptr);
  EXPECT_EQ(big.size(), 0u);
}

TEST(AlignedBuffer, AnAbsurdSizeIsReportedNotAllocated) {
  AlignedBuffer absurd(SIZE_MAX - 10, AlignedBuffer::Init::unset);
  EXPECT_FALSE(absurd.ok());
  AlignedBuffer absurdZeros(SIZE_MAX - 10);
  EXPECT_FALSE(absurdZeros.ok());
}
