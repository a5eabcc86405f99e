"""Prints the conformance runner's counts at the end of the pytest run."""


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    def count(kind):
        return sum(1 for r in stats.get(kind, [])
                   if "test_conformance_case" in r.nodeid)
    passed, failed, listed = count("passed"), count("failed"), count("xfailed")
    failed += count("xpassed")
    if passed + failed + listed:
        terminalreporter.write_line(
            f"conformance: {passed} passed, {failed} failed, {listed} listed out")
