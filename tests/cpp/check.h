// check.h: the few lines every C++ test program of tests/cpp shares.
//
// What it is: check(ok, what, line) counts a result and prints a failure with
// its line; report() prints "N passed, M failed" (the line pytest's
// test_cpp.py and ctest read) and returns the exit code. What it is not: a
// test framework.
#ifndef HASHEDNET_TESTS_CHECK_H
#define HASHEDNET_TESTS_CHECK_H

#include <exception>
#include <iostream>
#include <string>

namespace test_check {

inline int g_passed = 0;
inline int g_failed = 0;

inline void check(bool ok, const std::string &what, int line)
{
   if (ok) {
      ++g_passed;
      return;
   }
   ++g_failed;
   std::cout << "FAILED (line " << line << "): " << what << "\n";
}

/// Runs one test; an exception it lets out is a failure naming the test.
template <class Test>
void run(const std::string &name, Test test)
{
   try {
      test();
   } catch (const std::exception &e) {
      check(false, name + " threw: " + e.what(), __LINE__);
   }
}

/// Prints the closing line and returns main()'s exit code.
inline int report()
{
   std::cout << g_passed << " passed, " << g_failed << " failed\n";
   return g_failed == 0 ? 0 : 1;
}

} // namespace test_check

#endif // HASHEDNET_TESTS_CHECK_H
